"""The question kinds of the offline generator: for each kind, a candidate built from one
sentence of a passage (single, multiple, true_false, short_answer, numeric, fill_blank), with
its key, distractors, explanation and evidence."""

from __future__ import annotations

import re

from ..checks import NUMBER_WORDS, content_words, fold, normalize_evidence, states
from ..types import Candidate
from .distractors import _outlier, _Run, conditional
from .guards import guessable
from .statements import UNITS, Statements, _label
from .terms import (
    _accepted,
    _Analysis,
    _canonical,
    _clean_term,
    answer_variants,
    term_kind,
)
from .text import BLANK, _numbers_of, _occurrences, _replace


class Questions(Statements):
    """The question-building half of ``OfflineGenerator`` (a mixin): ``_build_<kind>`` makes one
    candidate of that kind from one sentence, or returns None."""

    def _source(self, analysis: _Analysis) -> str:
        passage = analysis.passage
        where = passage.material_title or "the material"
        if passage.page:
            where += f", page {passage.page}"
        return where

    # --- the kinds -----------------------------------------------------------------------------

    def _blankable(self, sentence: str, match: re.Match, key: str) -> str | None:
        blanked = _replace(sentence, match, BLANK)
        rest = set(content_words(blanked))
        if len(rest) < 3 or set(content_words(key)) & rest:
            return None  # too little left to go on, or the key shows through
        return blanked

    # Styles of one-answer questions, tried in this order where the sentence allows (then the
    # one made least so far first, so a quiz mixes them).
    SINGLE_STYLES = ("definition", "cause_effect", "true_statement", "cloze")

    def _build_single(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        styles = [
            style
            for style in self.SINGLE_STYLES
            if (style != "definition" or self._DEFINITION.match(sentence))
            and (style != "cause_effect" or conditional(sentence))
        ]
        # Definitions and conditions first (few sentences allow them); the others in a seeded
        # order, so successive calls of one job do not all start with the same style.
        run.rng.shuffle(styles)
        styles.sort(
            key=lambda style: (style not in ("definition", "cause_effect"), run.styles[style])
        )
        for style in styles:
            made = getattr(self, f"_single_{style}")(run, analysis, index, difficulty)
            if made is not None and guessable(made, analysis.passage) is None:
                return made
        return None

    def _single_cloze(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        for key_term in self._keys(run, analysis, sentence, difficulty):
            (match,) = _occurrences(key_term.text, sentence)
            blanked = self._blankable(sentence, match, key_term.text)
            if blanked is None:
                continue
            stem = f"Which option completes this statement from the material? “{blanked}”"
            wrong = self._related(
                run, key_term.text, key_term.kind, sentence, difficulty, 3, shown=stem
            )
            if not wrong:
                continue
            return self._choice(
                run, analysis, stem=stem, key=key_term.text, wrong=wrong, evidence=sentence
            )
        return self._number_choice(run, analysis, index, difficulty)

    def _single_definition(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        """ "Which term does the material describe as …?" with terms of the same kind."""
        sentence = analysis.sentences[index]
        found = self._definition(analysis, sentence)
        if found is None:
            return None
        term, definition = found
        stem = f"Which term does the material describe as “{definition}”?"
        kind = term_kind(term)
        wrong = self._related(run, term, kind, sentence, difficulty, 3, shown=stem)
        if not wrong:
            return None
        return self._choice(
            run, analysis, stem=stem, key=term, wrong=wrong, evidence=sentence, style="definition"
        )

    def _single_cause_effect(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        """ "What happens if …?": the consequence the sentence states, against the consequences
        of the material's other conditions."""
        sentence = analysis.sentences[index]
        split = conditional(sentence)
        if split is None or self._LEANING.match(split[1]):
            return None
        condition, effect = split
        lead = "if" if sentence.lower().startswith(("if ", "unless ")) else "when"
        stem = f"According to the material, what happens {lead} {condition}?"
        others = [
            other_effect
            for other, other_condition, other_effect in run.conditionals
            if other != sentence
            and not self._LEANING.match(other_effect)
            and not self._OTHER_SUBJECT.match(other_effect)
            and fold(other_effect) != fold(effect)
            and not any(states(s, other_effect) for s in analysis.sentences)
            and not _outlier(effect, [other_effect], 2.2)
        ]
        # The same kind of subject ("you can …" against "you can …", a thing against a thing).
        personal = effect.split()[0].lower() in ("you", "we")
        others = [
            o
            for o in dict.fromkeys(others)
            if (o.split()[0].lower() in ("you", "we")) == personal
            and not o.lower().startswith("please")
        ]
        if len(others) < 3:
            return None
        vectors = self._vectors([sentence, effect, *others])
        anchor = vectors[sentence]
        ranked = sorted(
            others, key=lambda o: -sum(a * b for a, b in zip(anchor, vectors[o], strict=True))
        )
        chosen: list[str] = []
        for other in ranked:
            closeness = sum(a * b for a, b in zip(anchor, vectors[other], strict=True))
            if closeness < 0.2:
                break  # the rest are about something else
            if closeness >= 0.9 or any(
                len(set(content_words(other)) & set(content_words(c))) * 2
                >= len(set(content_words(other)))
                for c in chosen
            ):
                continue  # the same consequence in other words, or two options alike
            chosen.append(other)
            if len(chosen) == 3:
                break
        if len(chosen) < 3:
            return None
        capital = lambda text: text[0].upper() + text[1:]  # noqa: E731
        return self._choice(
            run,
            analysis,
            stem=stem,
            key=capital(effect) + ".",
            wrong=[capital(c) + "." for c in chosen],
            evidence=sentence,
            style="cause_effect",
        )

    def _single_true_statement(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        """ "Which statement is true?": the sentence, and three other sentences of the passage (or
        of the call's other passages) each made false by a swapped term, a flipped negation or a
        changed number."""
        sentence = analysis.sentences[index]
        falses = self._false_statements(run, analysis, [sentence], 3, difficulty)
        if len(falses) < 3 or _outlier(sentence, [f for f, _ in falses], 2.0):
            return None
        options = [{"text": sentence, "correct": True, "feedback": ""}] + [
            {"text": false, "correct": False, "feedback": f"The material says: “{original}”"}
            for false, original in falses
        ]
        run.rng.shuffle(options)
        return Candidate(
            kind="single",
            stem="Which of these statements is true according to the material?",
            chunk_id=analysis.passage.chunk_id,
            options=options,
            explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
            evidence=sentence,
            style="true_statement",
        )

    def _number_choice(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        numbers = _numbers_of(sentence)
        if len(numbers) != 1:
            return None
        match, value = numbers[0]
        blanked = self._blankable(sentence, match, "")
        wrong = self._number_distractors(run, value, match.group(0), sentence, difficulty)
        if blanked is None or not wrong:
            return None
        return self._choice(
            run,
            analysis,
            stem=f"Which option completes this statement from the material? “{blanked}”",
            key=match.group(0),
            wrong=wrong,
            evidence=sentence,
        )

    def _choice(self, run, analysis, *, stem, key, wrong, evidence, style="cloze") -> Candidate:
        options = [{"text": key, "correct": True, "feedback": ""}] + [
            {"text": w, "correct": False, "feedback": ""} for w in wrong
        ]
        run.rng.shuffle(options)
        return Candidate(
            kind="single",
            stem=stem,
            chunk_id=analysis.passage.chunk_id,
            options=options,
            explanation=f"The material says: “{evidence}” ({self._source(analysis)}).",
            evidence=evidence,
            style=style,
        )

    def _build_fill_blank(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        for key_term in self._typed_keys(run, analysis, sentence, difficulty):
            (match,) = _occurrences(key_term.text, sentence)
            blanked = self._blankable(sentence, match, key_term.text)
            if blanked is None:
                continue
            return Candidate(
                kind="fill_blank",
                stem=f"Fill in the blank: {blanked}",
                chunk_id=analysis.passage.chunk_id,
                answer={"accepted": _accepted(key_term.text, sentence, match)},
                explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
                evidence=sentence,
                style="cloze",
            )
        return None

    _DEFINITION = re.compile(
        r"^(?:(?:An?|The)\s+)?(?P<term>[A-Za-z][\w.()-]*(?:\s+[A-Za-z][\w-]*){0,2})\s+"
        r"(?:is|are|refers to|means|is called|denotes)\s+(?P<definition>(?:an?|the|one)\s+.+)\.$"
    )

    def _definition(self, analysis: _Analysis, sentence: str) -> tuple[str, str] | None:
        """(term, what it is) of a definition sentence "X is a …", or None."""
        match = self._DEFINITION.match(sentence)
        if not match:
            return None
        term, definition = match.group("term"), match.group("definition")
        term_words = set(content_words(term))
        title_words = set(content_words(analysis.passage.material_title))
        if (
            not _clean_term(term)
            or not term_words
            or term_words & set(content_words(definition))
            or term_words <= title_words
            or len(set(content_words(definition))) < 3
        ):
            return None
        return _canonical(term, analysis.passage.text), definition

    def _build_short_answer(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        found_definition = self._definition(analysis, sentence)
        if found_definition is not None:
            shown, definition = found_definition
            return Candidate(
                kind="short_answer",
                stem=f"Which term does the material describe as “{definition}”?",
                chunk_id=analysis.passage.chunk_id,
                answer={"accepted": answer_variants(shown)},
                explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
                evidence=sentence,
                style="definition",
            )
        for key_term in self._typed_keys(run, analysis, sentence, difficulty):
            (found,) = _occurrences(key_term.text, sentence)
            blanked = self._blankable(sentence, found, key_term.text)
            if blanked is None:
                continue
            return Candidate(
                kind="short_answer",
                stem=f"Which term is missing from this statement from the material? “{blanked}”",
                chunk_id=analysis.passage.chunk_id,
                answer={"accepted": _accepted(key_term.text, sentence, found)},
                explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
                evidence=sentence,
                style="cloze",
            )
        return None

    def _build_numeric(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        found = [(m, v) for m, v in _numbers_of(sentence)]
        words = [
            (m, float(NUMBER_WORDS[m.group(0).lower()]))
            for m in re.finditer(r"\b[A-Za-z]+\b", sentence)
            if m.group(0).lower() in NUMBER_WORDS and m.group(0).lower() not in ("one", "zero")
        ]
        if len(found) + len(words) != 1:
            return None  # several numbers: which one is asked would be unclear
        match, value = (found or words)[0]
        surface = match.group(0)
        if _label(sentence, match):
            return None
        blanked = self._blankable(sentence, match, "")
        if blanked is None:
            return None
        decimals = len(surface.rstrip("%").split(".", 1)[1]) if "." in surface else 0
        tolerance = 0.5 * 10**-decimals if decimals else 0
        unit = "%" if surface.endswith("%") else ""
        after = re.match(r"\s*(°?[A-Za-z]+)", sentence[match.end() :])
        if not unit and after and after.group(1).lower() in UNITS:
            unit = after.group(1)
        return Candidate(
            kind="numeric",
            stem=f"Which number goes in the blank? “{blanked}”",
            chunk_id=analysis.passage.chunk_id,
            answer={"value": value, "tolerance": tolerance, "unit": unit},
            explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
            evidence=sentence,
            style="numeric",
        )

    def _build_true_false(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        truth = run.rng.random() < 0.5
        if not truth:
            made = self._falsify(run, analysis, sentence, difficulty)
            if made is not None:
                statement, why, _ = made
                return Candidate(
                    kind="true_false",
                    stem=f"True or false: {statement}",
                    chunk_id=analysis.passage.chunk_id,
                    options=[
                        {"text": "True", "correct": False, "feedback": ""},
                        {"text": "False", "correct": True, "feedback": ""},
                    ],
                    explanation=(
                        f"False: the material says “{sentence}” ({self._source(analysis)}); {why}."
                    ),
                    evidence=sentence,
                    style="true_false",
                )
        return Candidate(
            kind="true_false",
            stem=f"True or false: {sentence}",
            chunk_id=analysis.passage.chunk_id,
            options=[
                {"text": "True", "correct": True, "feedback": ""},
                {"text": "False", "correct": False, "feedback": ""},
            ],
            explanation=f"True: the material says “{sentence}” ({self._source(analysis)}).",
            evidence=sentence,
            style="true_false",
        )

    def _build_multiple(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        first = analysis.sentences[index]
        others = [
            analysis.sentences[i]
            for i in analysis.usable
            if i != index and normalize_evidence(analysis.sentences[i]) not in run.used
        ]
        if not others:
            return None
        true_sentences = [first, others[0]]
        falses = self._false_statements(run, analysis, true_sentences, 2, difficulty)
        if len(falses) < 2:
            return None
        options = [{"text": s, "correct": True, "feedback": ""} for s in true_sentences] + [
            {"text": statement, "correct": False, "feedback": f"The material says: “{original}”"}
            for statement, original in falses
        ]
        run.rng.shuffle(options)
        ordered = [s for s in analysis.sentences if s in true_sentences]
        return Candidate(
            kind="multiple",
            stem="Which of these statements are true according to the material?",
            chunk_id=analysis.passage.chunk_id,
            options=options,
            explanation=(
                "The material says: "
                + " ".join(f"“{s}”" for s in ordered)
                + f" ({self._source(analysis)})."
            ),
            evidence=" ".join(ordered),
            style="multiple_answer",
        )
