"""The question kinds of the offline generator: for each kind, a candidate built from one
sentence of a passage (single, multiple, true_false, short_answer, numeric, fill_blank), with
its key, distractors, explanation and evidence."""

from __future__ import annotations

import re

from ..checks import NUMBER_WORDS, content_words, fold, normalize_evidence, states
from ..types import Candidate
from .distractors import Distractors, _Run
from .terms import _accepted, _Analysis, _canonical, _clean_term, answer_variants
from .text import BLANK, _numbers_of, _occurrences, _replace

UNITS = frozenset(
    """percent per cent seconds second ms milliseconds microseconds nanoseconds minutes minute
    hours hour days day weeks months years year bytes byte bits bit kb mb gb tb kib mib gib
    kilobytes megabytes gigabytes km m cm mm nm kg g mg l ml degrees °c °f k hz khz mhz ghz
    volts watts amps times characters lines pages""".split()
)


_IRREGULAR_PLURAL_ENDINGS = ("i", "ae", "ia", "men", "children", "people", "data")


def _plural(term: str) -> bool:
    """Whether a term reads as plural ("cells", "nuclei", "algae"), roughly: enough to keep
    "two identical nuclei" from becoming "two four bases" or "a cell" from becoming "a nuclei"."""
    last = term.split()[-1].lower() if term.split() else ""
    if last.endswith(("ss", "us", "is", "ics")):
        return False
    return last.endswith("s") or last.endswith(_IRREGULAR_PLURAL_ENDINGS)


def _fits(before: str, term: str, replacement: str) -> bool:
    """Whether ``replacement`` can stand where ``term`` stood in a sentence without breaking its
    grammar: the same number (singular/plural), and no number word right after another."""
    previous = before.split()[-1].lower().strip("(\"'") if before.split() else ""
    first = replacement.split()[0].lower() if replacement.split() else ""
    counted = previous.isdigit() or previous in NUMBER_WORDS
    if counted and (first.isdigit() or first in NUMBER_WORDS):
        return False
    if not re.fullmatch(r"[A-Za-z][A-Za-z' -]*", term):
        return True  # code, numbers and the like: no grammar to keep
    return _plural(term) == _plural(replacement)


class Questions(Distractors):
    """The question-building half of ``OfflineGenerator`` (a mixin): ``_build_<kind>`` makes one
    candidate of that kind from one sentence, or returns None."""

    # --- keys and swaps -------------------------------------------------------------------------

    def _keys(self, run: _Run, analysis: _Analysis, sentence: str, difficulty: str):
        """Terms of the passage that occur once in ``sentence``, in the order to try them:
        central ones first for easy questions, rare ones first for hard ones."""
        keys = [t for t in analysis.terms if len(_occurrences(t.text, sentence)) == 1]
        if difficulty == "hard":
            keys.sort(key=lambda t: (run.frequency[fold(t.text)], -len(t.text), t.score))
        elif difficulty == "easy":
            keys.sort(key=lambda t: (t.score, -run.frequency[fold(t.text)]))
        return keys

    def _swap(self, run: _Run, analysis: _Analysis, sentence: str, difficulty: str):
        """``sentence`` made false by one term swapped for a related one of the same kind:
        (false statement, the term taken out, the term put in), or None."""
        passage_sentences = analysis.sentences
        for term in self._keys(run, analysis, sentence, difficulty):
            (match,) = _occurrences(term.text, sentence)
            related = self._related(run, term.text, term.kind, sentence, difficulty, 4)
            fitting = [r for r in related if _fits(sentence[: match.start()], term.text, r)]
            if not fitting:
                continue
            statement = _replace(sentence, match, fitting[0])
            if any(states(s, statement) for s in passage_sentences):
                continue
            return statement, match.group(0), fitting[0]
        return None

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

    def _build_single(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        for key_term in self._keys(run, analysis, sentence, difficulty):
            (match,) = _occurrences(key_term.text, sentence)
            blanked = self._blankable(sentence, match, key_term.text)
            if blanked is None:
                continue
            wrong = self._related(run, key_term.text, key_term.kind, sentence, difficulty, 3)
            if not wrong:
                continue
            return self._choice(
                run,
                analysis,
                stem=f"Which option completes this statement from the material? “{blanked}”",
                key=key_term.text,
                wrong=wrong,
                evidence=sentence,
            )
        return self._number_choice(run, analysis, index, difficulty)

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

    def _choice(self, run, analysis, *, stem, key, wrong, evidence) -> Candidate:
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
        )

    def _build_fill_blank(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        for key_term in self._keys(run, analysis, sentence, difficulty):
            if key_term.kind == "number":
                continue
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
            )
        return None

    _DEFINITION = re.compile(
        r"^(?:(?:An?|The)\s+)?(?P<term>[A-Za-z][\w.()-]*(?:\s+[A-Za-z][\w-]*){0,2})\s+"
        r"(?:is|are|refers to|means|is called|denotes)\s+(?P<definition>(?:an?|the|one)\s+.+)\.$"
    )

    def _build_short_answer(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        match = self._DEFINITION.match(sentence)
        if match:
            term = match.group("term")
            definition = match.group("definition")
            term_words = set(content_words(term))
            if (
                _clean_term(term)
                and term_words
                and not term_words & set(content_words(definition))
                and len(set(content_words(definition))) >= 3
            ):
                shown = _canonical(term, analysis.passage.text)
                return Candidate(
                    kind="short_answer",
                    stem=f"Which term does the material describe as “{definition}”?",
                    chunk_id=analysis.passage.chunk_id,
                    answer={"accepted": answer_variants(shown)},
                    explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
                    evidence=sentence,
                )
        for key_term in self._keys(run, analysis, sentence, difficulty):
            if key_term.kind == "number":
                continue
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
        if re.search(r"\b(?:page|section|chapter|figure|table|version|step|pep|rfc)\s*$",
                     sentence[: match.start()], re.IGNORECASE):  # fmt: skip
            return None  # a label, not a quantity
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
        )

    def _build_true_false(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        truth = run.rng.random() < 0.5
        if not truth:
            swapped = self._swap(run, analysis, sentence, difficulty)
            if swapped is not None:
                statement, taken, put = swapped
                return Candidate(
                    kind="true_false",
                    stem=f"True or false: {statement}",
                    chunk_id=analysis.passage.chunk_id,
                    options=[
                        {"text": "True", "correct": False, "feedback": ""},
                        {"text": "False", "correct": True, "feedback": ""},
                    ],
                    explanation=(
                        f"False: the material says “{sentence}” ({self._source(analysis)}); "
                        f"it is {taken}, not {put}."
                    ),
                    evidence=sentence,
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
        falses: list[tuple[str, str]] = []
        for sentence in others[1:] + true_sentences:
            if len(falses) == 2:
                break
            swapped = self._swap(run, analysis, sentence, difficulty)
            if swapped is not None and swapped[0] not in [f[0] for f in falses]:
                falses.append((swapped[0], sentence))
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
        )
