"""The statements of the offline generator: which terms of a sentence can be keys, and a
sentence made false (a term swapped for a related one, a negation flipped, a number
changed) for true/false, "which statement is true" and multiple-answer questions."""

from __future__ import annotations

import re

from ..checks import NUMBER_WORDS, content_words, fold, normalize_evidence, states
from .distractors import SWAP_BAND, Distractors, _noun_like, _Run
from .terms import (
    _analyse,
    _Analysis,
)
from .text import _numbers_of, _occurrences, _plural, _replace

UNITS = frozenset(
    """percent per cent seconds second ms milliseconds microseconds nanoseconds minutes minute
    hours hour days day weeks months years year bytes byte bits bit kb mb gb tb kib mib gib
    kilobytes megabytes gigabytes km m cm mm nm kg g mg l ml degrees °c °f k hz khz mhz ghz
    volts watts amps times characters lines pages""".split()
)


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


def _label(sentence: str, match: re.Match) -> bool:
    """Whether the number at ``match`` is a label ("page 3", "Solaris 10", "\\1", "−1" as a
    flag value) rather than a quantity."""
    before = sentence[: match.start()]
    if re.search(r"\b(?:page|section|chapter|figure|table|version|step|pep|rfc)\s*$", before, re.I):
        return True
    return bool(re.search(r"(?:\b[A-Z][A-Za-z]+\s*|[\\−-])$", before))


class Statements(Distractors):
    """The statement half of ``Questions`` (a mixin): keys of a sentence and false versions of
    it."""

    # --- keys and swaps -------------------------------------------------------------------------

    def _keys(self, run: _Run, analysis: _Analysis, sentence: str, difficulty: str):
        """Terms of the passage that occur once in ``sentence``, in the order to try them:
        central ones first for easy questions, rare ones first for hard ones."""
        keys = [
            t
            for t in analysis.terms
            if len(_occurrences(t.text, sentence)) == 1
            and (t.kind not in ("word", "phrase") or _noun_like(run, t.text))
        ]
        if difficulty == "hard":
            keys.sort(key=lambda t: (run.frequency[fold(t.text)], -len(t.text), t.score))
        elif difficulty == "easy":
            keys.sort(key=lambda t: (t.score, -run.frequency[fold(t.text)]))
        return keys

    def _typed_keys(self, run: _Run, analysis: _Analysis, sentence: str, difficulty: str):
        """Keys for a typed answer: specific ones (phrases, names, code) before single words,
        which a blank leaves open to synonyms ("a list of characters", "a set of …")."""
        keys = [t for t in self._keys(run, analysis, sentence, difficulty) if t.kind != "number"]
        return sorted(keys, key=lambda t: t.kind == "word")

    def _swap(self, run: _Run, analysis: _Analysis, sentence: str, difficulty: str):
        """``sentence`` made false by one term swapped for a related one of the same kind:
        (false statement, the term taken out, the term put in), or None."""
        passage_sentences = analysis.sentences
        for term in self._keys(run, analysis, sentence, difficulty):
            if term.kind != "phrase":
                # Single words, names, acronyms and code swapped read as nonsense ("search
                # line", "--count color"), not as a slip a student could believe.
                continue
            (match,) = _occurrences(term.text, sentence)
            if match.start() == 0:
                continue  # its capital may be the sentence's, not the term's
            # The closest terms: a swap should read as a slip a student could believe.
            related = self._related(
                run,
                term.text,
                term.kind,
                sentence,
                "hard",
                2,
                floor=SWAP_BAND[0],
                ceiling=SWAP_BAND[1],
            )
            fitting = [r for r in related if _fits(sentence[: match.start()], term.text, r)]
            if not fitting:
                continue
            statement = _replace(sentence, match, fitting[0])
            if any(states(s, statement) for s in passage_sentences):
                continue
            return statement, match.group(0), fitting[0]
        return None

    _AUXILIARY = re.compile(
        r"\b(is|are|was|were|can|could|will|would|should|must)\b"
        r"(\s+not\b)?|\b(cannot|isn't|aren't|doesn't|don't|won't|can't)\b",
        re.IGNORECASE,
    )
    _POSITIVE = {"cannot": "can", "isn't": "is", "aren't": "are", "doesn't": "does",
                 "don't": "do", "won't": "will", "can't": "can"}  # fmt: skip
    # Pronouns that make a consequence read as about something else out of its sentence.
    # A wrong consequence that starts with "it" or an imperative reads as about another thing.
    _OTHER_SUBJECT = re.compile(
        r"^(?:it|its|do|don't|use|see|try|make|set|run|add|specify|consider|note)\b", re.I
    )
    _LEANING = re.compile(r"^(?:they|he|she|this|that|these|those|such|there|then)\b", re.I)

    def _negated(self, sentence: str) -> str | None:
        """``sentence`` with its first auxiliary verb's negation flipped ("is" → "is not",
        "cannot" → "can"), or None when it has none."""
        match = self._AUXILIARY.search(sentence)
        if match is None or match.start() == 0:
            return None
        negations = content_words(sentence).count("not")
        if negations != (1 if match.group(2) or match.group(3) else 0):
            return None  # another negation in it: flipping this one reads as a riddle
        if match.group(3):
            flipped = self._POSITIVE[match.group(3).lower()]
        elif match.group(2):
            flipped = match.group(1)
        elif match.group(1).lower() == "can":
            flipped = match.group(1) + "not"
        else:
            flipped = match.group(1) + " not"
        return sentence[: match.start()] + flipped + sentence[match.end() :]

    def _renumbered(self, run: _Run, sentence: str, difficulty: str) -> tuple[str, str, str] | None:
        numbers = _numbers_of(sentence)
        if len(numbers) != 1:
            return None
        match, value = numbers[0]
        if _label(sentence, match):
            return None
        wrong = self._number_distractors(run, value, match.group(0), sentence, difficulty)
        if not wrong:
            return None
        return _replace(sentence, match, wrong[0]), match.group(0), wrong[0]

    def _falsify(
        self,
        run: _Run,
        analysis: _Analysis,
        sentence: str,
        difficulty: str,
        prefer: str = "",
        ways: tuple[str, ...] = ("swap", "negate", "number"),
    ):
        """``sentence`` made false in one of three ways, ``prefer`` first, else in a seeded
        order: a term swapped for a related one of the same kind, its negation flipped, or its
        number changed. Returns (false statement, why it is false) or None; never a statement
        the passage makes."""
        order = list(ways)
        run.rng.shuffle(order)
        if prefer in order:
            order.remove(prefer)
            order.insert(0, prefer)
        for way in order:
            if way == "swap":
                made = self._swap(run, analysis, sentence, difficulty)
            elif way == "number":
                made = self._renumbered(run, sentence, difficulty)
            else:
                negated = self._negated(sentence)
                made = (negated, "", "") if negated else None
            if made is None:
                continue
            statement, taken, put = made
            if any(states(s, statement) for s in analysis.sentences):
                continue
            why = f"it is {taken}, not {put}" if taken else "the material says the opposite"
            return statement, why, way
        return None

    def _false_statements(
        self, run: _Run, analysis: _Analysis, avoid: list[str], count: int, difficulty: str
    ) -> list[tuple[str, str]]:
        """``count`` (false statement, original) pairs: other sentences of the passage, then of
        the call's other passages, each made false a different way where it can (a swapped
        term, a flipped negation, a changed number: no tell-tale pattern). Sentences in
        ``avoid`` (the true options) are never used, so no option is a variant of another."""
        falses: list[tuple[str, str]] = []
        # The passage, the call's others, then the lent pool's passages of the same section.
        section = analysis.passage.section
        nearby = [p for p in self._pool if p.section == section][:10]
        sources = [analysis]
        for near in [run.analysis(p) for p in range(len(run.order))] + [
            _analyse(p) for p in nearby
        ]:
            if all(near is not a for a in sources):
                sources.append(near)
        ways = ["negate", "swap", "number"]
        negated = False
        for source in sources:
            for other_index in source.usable:
                other = source.sentences[other_index]
                if other in avoid or other in [o for _, o in falses]:
                    continue  # each option from its own sentence: none a variant of another
                if normalize_evidence(other) in run.used:
                    continue
                allowed = tuple(w for w in ways if w != "negate" or not negated)
                made = self._falsify(run, source, other, difficulty, ways[len(falses) % 3], allowed)
                if made is None or any(states(s, made[0]) for s in analysis.sentences):
                    continue
                # One flipped negation per question at most: several would be a pattern to spot.
                negated = negated or made[2] == "negate"
                falses.append((made[0], other))
                if len(falses) == count:
                    return falses
        return []
