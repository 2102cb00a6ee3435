"""Question statistics: how each question of a quiz (or of a course's bank) performed, over the
submitted attempts, and which questions a teacher should look at again.

Per question:

- ``answered`` (n): answers given in submitted attempts; ``skipped``: attempts that showed the
  question and were submitted without an answer to it (they count in no figure below).
- ``facility``: the mean score of those answers, 0..1 (1: everybody right). Multiple-answer
  questions count partial credit as graded.
- ``discrimination``: the point-biserial correlation (Pearson's r) between the score on the
  question and the *rest-of-test* score of the same attempt — the share of the attempt's other
  points earned (unanswered questions count 0). It runs from -1 to 1: high when the students
  who do well on the rest of the quiz get this question right and those who do badly get it
  wrong. The question's own points are left out of the rest score, so a question does not
  correlate with itself. None when it cannot be computed (fewer than two answers, or everybody
  scored the same on the question or on the rest).
- for choice questions, how often each option was chosen, and the most chosen wrong option with
  its share of the answers; for typed answers (short answer, fill in the blank, numeric) the
  most common wrong answers, compared as grading compares them (case, spaces and a leading
  article do not matter; numbers by value).

Flags for weak questions, each with a reason a teacher understands:

- ``too_hard``: facility below 0.2 (at least ``MIN_ANSWERS_TO_FLAG`` answers);
- ``too_easy``: facility above 0.95 with at least ``MIN_ANSWERS_FOR_SPREAD`` answers;
- ``negative_discrimination`` / ``poor_discrimination``: discrimination below 0 / below 0.2,
  with at least ``MIN_ANSWERS_FOR_SPREAD`` answers;
- ``distractor``: a wrong option chosen more often than the key (for multiple answers: than the
  least chosen right option), with at least ``MIN_ANSWERS_TO_FLAG`` answers.

Each entry point reads with three queries (the answers, the questions, the versions shown),
whatever the number of questions or attempts."""

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet

from courses.models import Course

from ..answers import normalize_answer, parse_number
from ..models import Attempt, AttemptQuestion, Question, QuestionVersion, Quiz, QuizItem
from ..rendering import render

TOO_HARD_BELOW = 0.2


TOO_EASY_ABOVE = 0.95


POOR_DISCRIMINATION_BELOW = 0.2


# One or two unlucky answers do not make a question "too hard".
MIN_ANSWERS_TO_FLAG = 5


# Below ten answers "everybody got it right" and a correlation say little.
MIN_ANSWERS_FOR_SPREAD = 10


WRONG_ANSWERS_SHOWN = 3


STEM_CHARS = 160


CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE)


FLAG_LABELS = {
    "too_hard": "Too hard",
    "too_easy": "Too easy",
    "negative_discrimination": "Negative discrimination",
    "poor_discrimination": "Poor discrimination",
    "distractor": "Wrong option beats the key",
}


@dataclass
class Flag:
    code: str
    message: str  # why, in words a teacher reads without this module's docstring

    @property
    def label(self) -> str:
        return FLAG_LABELS[self.code]


@dataclass
class OptionCount:
    id: str
    label: str
    correct: bool
    count: int
    share: float  # of the answers


@dataclass
class WrongAnswer:
    label: str
    count: int
    share: float  # of the answers


@dataclass
class QuestionStats:
    question_id: int
    kind: str
    topic: str
    stem: str  # the current wording, as stored (sanitised Markdown), cut short
    position: int | None = None  # in the quiz; None for a course's bank
    shown: int = 0
    answered: int = 0
    facility: float | None = None
    discrimination: float | None = None
    options: list[OptionCount] = field(default_factory=list)
    wrong_answers: list[WrongAnswer] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.shown - self.answered

    @property
    def most_chosen_wrong(self) -> WrongAnswer | None:
        return self.wrong_answers[0] if self.wrong_answers else None

    @property
    def stem_html(self):
        return render(self.stem, inline=True)

    @property
    def kind_label(self) -> str:
        return Question.Kind(self.kind).label

    @property
    def facility_percent(self) -> float | None:
        return None if self.facility is None else round(100 * self.facility, 1)


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _percent(value: float) -> str:
    return f"{round(100 * value)}%"


def _flags(stats: QuestionStats) -> list[Flag]:
    flags = []
    n, facility, r = stats.answered, stats.facility, stats.discrimination
    if facility is not None and n >= MIN_ANSWERS_TO_FLAG and facility < TOO_HARD_BELOW:
        flags.append(
            Flag(
                "too_hard",
                f"Answers earned {_percent(facility)} of the points on average "
                f"(below {_percent(TOO_HARD_BELOW)}) over {n} answers. Check the key and the "
                "wording, or teach the topic again.",
            )
        )
    if facility is not None and n >= MIN_ANSWERS_FOR_SPREAD and facility > TOO_EASY_ABOVE:
        flags.append(
            Flag(
                "too_easy",
                f"Answers earned {_percent(facility)} of the points on average over {n} "
                "answers: it tells you little about who knows the material.",
            )
        )
    if r is not None and n >= MIN_ANSWERS_FOR_SPREAD:
        if r < 0:
            flags.append(
                Flag(
                    "negative_discrimination",
                    f"Students who did well on the rest of the quiz did worse on this question "
                    f"than those who did badly (discrimination {r:.2f}). The key may be wrong "
                    "or the question misleading.",
                )
            )
        elif r < POOR_DISCRIMINATION_BELOW:
            flags.append(
                Flag(
                    "poor_discrimination",
                    f"It does not tell stronger from weaker students apart (discrimination "
                    f"{r:.2f}, below {POOR_DISCRIMINATION_BELOW:.2f}): those who did well on the "
                    "rest of the quiz did about as well on it as those who did badly.",
                )
            )
    if stats.options and n >= MIN_ANSWERS_TO_FLAG:
        keys = [o for o in stats.options if o.correct]
        key_count = min((o.count for o in keys), default=0)
        strongest = max(
            (o for o in stats.options if not o.correct), key=lambda o: o.count, default=None
        )
        if strongest is not None and keys and strongest.count > key_count:
            key_text = (
                f"the right answer “{keys[0].label}” ({key_count})"
                if len(keys) == 1
                else f"a right option ({key_count} for the least chosen one)"
            )
            flags.append(
                Flag(
                    "distractor",
                    f"The wrong option “{strongest.label}” was chosen more often "
                    f"({strongest.count} of {n} answers) than {key_text}. Is it really wrong, "
                    "or is the question unclear?",
                )
            )
    return flags


@dataclass
class _Answer:
    attempt_id: int
    question_id: int
    version_id: int
    points: float
    score: float  # 0 when not answered
    response: dict | None
    answered: bool


def _submitted_rows(attempts: QuerySet[Attempt]) -> list[_Answer]:
    return [
        _Answer(a, q, v, float(p), s or 0.0, r, at is not None and s is not None)
        for a, q, v, p, s, r, at in AttemptQuestion.objects.filter(
            attempt__in=attempts.filter(state=Attempt.State.SUBMITTED)
        ).values_list(
            "attempt_id", "question_id", "version_id", "points", "score", "response", "answered_at"
        )
    ]


def _typed_answer(kind: str, response: dict) -> tuple[str, str] | None:
    """(comparison key, label) of a typed answer, compared as grading compares it."""
    if kind == Question.Kind.NUMERIC:
        number = parse_number(response.get("value"))
        if number is None:
            text = str(response.get("value") or "").strip()
            return (f"text:{text}", text) if text else None
        return f"number:{number!r}", f"{number:g}"
    typed = response.get("text")
    if not isinstance(typed, str) or not typed.strip():
        return None
    return normalize_answer(typed), " ".join(typed.split())


def _analyse(
    rows: list[_Answer], questions: dict[int, Question], versions: dict[int, QuestionVersion]
) -> dict[int, QuestionStats]:
    # Each attempt's raw earned and possible points, for the rest-of-test score.
    earned: dict[int, float] = {}
    possible: dict[int, float] = {}
    for row in rows:
        earned[row.attempt_id] = earned.get(row.attempt_id, 0.0) + row.points * (row.score or 0)
        possible[row.attempt_id] = possible.get(row.attempt_id, 0.0) + row.points
    by_question: dict[int, list[_Answer]] = {}
    for row in rows:
        by_question.setdefault(row.question_id, []).append(row)
    result = {}
    for question_id, question in questions.items():
        stem = question.current_version.stem if question.current_version else ""
        if len(stem) > STEM_CHARS:
            stem = stem[: STEM_CHARS - 1].rstrip() + "…"
        stats = QuestionStats(question_id, question.kind, question.topic, stem)
        answers = by_question.get(question_id, [])
        stats.shown = len(answers)
        given = [a for a in answers if a.answered]
        stats.answered = n = len(given)
        if n:
            stats.facility = statistics.fmean(a.score for a in given)
            item: list[float] = []
            rest: list[float] = []
            for a in given:
                rest_possible = possible[a.attempt_id] - a.points
                if rest_possible <= 0:
                    continue  # a one-question quiz has no rest to compare with
                item.append(a.score)
                rest.append((earned[a.attempt_id] - a.points * a.score) / rest_possible)
            stats.discrimination = _pearson(item, rest)
        if question.kind in CHOICE_KINDS:
            _count_options(stats, question, given, versions)
        else:
            wrong: Counter = Counter()
            labels: dict[str, str] = {}
            for a in given:
                typed = _typed_answer(question.kind, a.response or {}) if a.score < 1 else None
                if typed is not None:
                    wrong[typed[0]] += 1
                    labels.setdefault(typed[0], typed[1])
            stats.wrong_answers = [
                WrongAnswer(labels[k], c, c / n) for k, c in wrong.most_common(WRONG_ANSWERS_SHOWN)
            ]
        stats.flags = _flags(stats)
        result[question_id] = stats
    return result


def _count_options(
    stats: QuestionStats,
    question: Question,
    given: list[_Answer],
    versions: dict[int, QuestionVersion],
) -> None:
    """Options counted by their wording in the version each student saw (an edit may reword
    or re-key them); the current version's options come first, in its order."""
    counts: Counter = Counter()
    info: dict[str, tuple[str, str, bool]] = {}  # label key -> (id, label, correct)
    order: list[str] = []

    def learn(version: QuestionVersion | None) -> dict[str, str]:
        ids = {}
        for option in version.options if version else []:
            label = str(option.get("text") or option["id"])
            key = label.casefold()
            ids[option["id"]] = key
            if key not in info:
                info[key] = (option["id"], label, bool(option.get("correct")))
                order.append(key)
        return ids

    learn(question.current_version)
    id_keys = {vid: learn(v) for vid, v in versions.items() if v.question_id == question.pk}
    for a in given:
        response = a.response or {}
        chosen = [response["option"]] if "option" in response else response.get("options") or []
        keys = id_keys.get(a.version_id, {})
        for option_id in chosen:
            if option_id in keys:
                counts[keys[option_id]] += 1
    n = len(given)
    stats.options = [
        OptionCount(info[k][0], info[k][1], info[k][2], counts[k], counts[k] / n if n else 0.0)
        for k in order
    ]
    wrong = sorted((o for o in stats.options if not o.correct and o.count), key=lambda o: -o.count)
    stats.wrong_answers = [
        WrongAnswer(o.label, o.count, o.share) for o in wrong[:WRONG_ANSWERS_SHOWN]
    ]


def _versions_for(rows: list[_Answer]) -> dict[int, QuestionVersion]:
    return QuestionVersion.objects.in_bulk({r.version_id for r in rows})


def question_statistics(quiz: Quiz) -> list[QuestionStats]:
    """Every question of the quiz, in the quiz's order, with its figures and flags over the
    quiz's submitted attempts (a question nobody answered yet has n = 0 and no figures)."""
    rows = _submitted_rows(Attempt.objects.filter(quiz=quiz))
    items = list(
        QuizItem.objects.filter(quiz=quiz)
        .select_related("question__current_version")
        .defer("question__embedding")
        .order_by("position", "id")
    )
    questions = {i.question_id: i.question for i in items}
    # A question removed from the quiz after students answered it still has figures.
    missing = {r.question_id for r in rows} - set(questions)
    if missing:
        for question in (
            Question.objects.filter(pk__in=missing)
            .select_related("current_version")
            .defer("embedding")
        ):
            questions[question.pk] = question
    stats = _analyse(rows, questions, _versions_for(rows))
    positions = {i.question_id: n for n, i in enumerate(items, start=1)}
    for question_id, s in stats.items():
        s.position = positions.get(question_id)
    return sorted(stats.values(), key=lambda s: (s.position is None, s.position or 0))


def course_question_statistics(course: Course) -> list[QuestionStats]:
    """The course's bank: every question answered in a submitted attempt of any of its quizzes,
    pooled over those attempts (each attempt's rest score within its own quiz), flagged ones
    first, then by facility (hardest first)."""
    rows = _submitted_rows(Attempt.objects.filter(quiz__course=course))
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in={r.question_id for r in rows})
        .select_related("current_version")
        .defer("embedding")
    }
    stats = _analyse(rows, questions, _versions_for(rows))
    return sorted(
        stats.values(),
        key=lambda s: (not s.flags, s.facility if s.facility is not None else 2, s.question_id),
    )
