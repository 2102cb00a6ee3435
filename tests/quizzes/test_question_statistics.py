"""Question statistics over submitted attempts, checked against figures worked out by hand:
facility, discrimination (the point-biserial correlation with the rest-of-test score), the most
chosen wrong option or typed answer, the flags for weak questions, and the quiz summaries."""

import datetime as dt
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from quizzes.statistics.questions import course_question_statistics, question_statistics
from quizzes.statistics.scores import quiz_summaries, score_histogram

from .test_mastery import NOW, published_quiz, take


@pytest.fixture(autouse=True)
def _in_school_a(school_a):
    with schema_context(school_a.schema):
        yield


def _attempts(quiz, student, rows):
    """One submitted attempt per row; a row maps a question to an answer (missing: skipped)."""
    for i, answers in enumerate(rows):
        take(quiz, student, answers, now=NOW + dt.timedelta(minutes=10 * i))


def _by_id(stats):
    return {s.question_id: s for s in stats}


def test_facility_discrimination_and_wrong_options_match_the_figures_by_hand(school_a, biology):
    quiz, (q1, q2, q3) = published_quiz(biology, school_a.teacher, [{}, {}, {}], attempts_allowed=0)
    b, c = {"option": "b"}, {"option": "c"}  # Ribosome, Nucleus: wrong; "a" is the key
    _attempts(
        quiz,
        school_a.student,
        [
            {q1: "right", q2: "right", q3: "right"},  # 3 of 3
            {q1: "right", q2: "right", q3: b},  # 2
            {q1: "right", q2: b, q3: c},  # 1
            {q1: b, q2: b},  # 0, q3 skipped
        ],
    )
    s1, s2, s3 = question_statistics(quiz)
    # q1: scores 1,1,1,0; rest-of-test shares (other points / 2): 1, .5, 0, 0.
    # r = .375 / sqrt(.75 × .6875) = 0.5222
    assert (s1.position, s1.answered, s1.skipped, s1.facility) == (1, 4, 0, 0.75)
    assert s1.discrimination == pytest.approx(0.375 / math.sqrt(0.75 * 0.6875))
    assert [(w.label, w.count, w.share) for w in s1.wrong_answers] == [("Ribosome", 1, 0.25)]
    # q2: scores 1,1,0,0; rest 1, .5, .5, 0: r = .5 / sqrt(1 × .5) = 0.7071
    assert s2.facility == 0.5
    assert s2.discrimination == pytest.approx(1 / math.sqrt(2))
    assert (s2.most_chosen_wrong.label, s2.most_chosen_wrong.share) == ("Ribosome", 0.5)
    # q3: answered 3 times (1, 0, 0), skipped once; rest 1, 1, .5: r = (1/6) / (1/3) = 0.5
    assert (s3.answered, s3.skipped) == (3, 1)
    assert s3.facility == pytest.approx(1 / 3)
    assert s3.discrimination == pytest.approx(0.5)
    assert [(o.id, o.label, o.correct, o.count) for o in s3.options] == [
        ("a", "Mitochondrion", True, 1),
        ("b", "Ribosome", False, 1),
        ("c", "Nucleus", False, 1),
    ]
    # Four answers are too few to flag anything.
    assert [s.flags for s in (s1, s2, s3)] == [[], [], []]


def test_weak_questions_are_flagged_with_their_reasons(school_a, biology):
    quiz, (easy, hard, negative, good1, good2) = published_quiz(
        biology, school_a.teacher, [{}, {}, {}, {}, {}], attempts_allowed=0
    )
    b = {"option": "b"}
    rows = []
    for i in range(10):
        rows.append(
            {
                easy: "right",  # everybody: too easy
                hard: "right" if i == 9 else b,  # one in ten; "Ribosome" beats the key 9 to 1
                negative: "right" if i < 5 else b,  # the five weakest get it right
                good1: "right" if i >= 3 else b,
                good2: "right" if i >= 3 else b,
            }
        )
    _attempts(quiz, school_a.student, rows)
    stats = _by_id(question_statistics(quiz))
    assert [f.code for f in stats[easy.pk].flags] == ["too_easy"]
    assert stats[easy.pk].discrimination is None  # everybody scored the same
    # hard: rest shares .5 ×3, 1 ×2, .75 ×5; the one right answer has .75: r = .025/.525
    assert stats[hard.pk].facility == pytest.approx(0.1)
    assert stats[hard.pk].discrimination == pytest.approx(0.025 / 0.525)
    assert [f.code for f in stats[hard.pk].flags] == [
        "too_hard",
        "poor_discrimination",
        "distractor",
    ]
    messages = {f.code: f.message for f in stats[hard.pk].flags}
    assert messages["too_hard"].startswith("Answers earned 10% of the points on average")
    assert messages["distractor"] == (
        "The wrong option “Ribosome” was chosen more often (9 of 10 answers) than the right "
        "answer “Mitochondrion” (1). Is it really wrong, or is the question unclear?"
    )
    assert (stats[hard.pk].most_chosen_wrong.label, stats[hard.pk].most_chosen_wrong.share) == (
        "Ribosome",
        0.9,
    )
    # negative: right for rest shares .25 ×3, .75 ×2; wrong for .75 ×4, 1: r = -.875/1.2809
    assert stats[negative.pk].discrimination == pytest.approx(-0.875 / math.sqrt(2.5 * 0.65625))
    assert [f.code for f in stats[negative.pk].flags] == ["negative_discrimination"]
    # good: r = .225 / .525 = 0.4286, facility .7: nothing to say.
    assert stats[good1.pk].discrimination == pytest.approx(0.225 / 0.525)
    assert stats[good1.pk].flags == [] and stats[good2.pk].flags == []
    assert [f.label for f in stats[hard.pk].flags] == [
        "Too hard",
        "Poor discrimination",
        "Wrong option beats the key",
    ]


def test_a_multiple_answer_distractor_chosen_more_than_a_right_option_is_flagged(school_a, biology):
    quiz, (q,) = published_quiz(
        biology, school_a.teacher, [{"kind": "multiple"}], attempts_allowed=0
    )
    # Neon (a) and Argon (b) are right; Oxygen (c) and Nitrogen (d) wrong.
    picks = [["a", "c"], ["a", "c"], ["c"], ["a", "b"], ["a", "c"]]
    _attempts(quiz, school_a.student, [{q: {"options": p}} for p in picks])
    (stats,) = question_statistics(quiz)
    assert [(o.label, o.count) for o in stats.options] == [
        ("Neon", 4),
        ("Argon", 1),
        ("Oxygen", 4),
        ("Nitrogen", 0),
    ]
    # Partial credit as graded: (1-1)/2, (1-1)/2, 0, 1, (1-1)/2.
    assert stats.facility == pytest.approx(0.2)
    assert [(w.label, w.count, w.share) for w in stats.wrong_answers] == [("Oxygen", 4, 0.8)]
    assert [f.code for f in stats.flags] == ["distractor"]
    assert "than a right option (1 for the least chosen one)" in stats.flags[0].message


def test_typed_wrong_answers_are_grouped_as_grading_compares_them(school_a, biology):
    quiz, (text, number) = published_quiz(
        biology,
        school_a.teacher,
        [{"kind": "short_answer"}, {"kind": "numeric"}],
        attempts_allowed=0,
    )
    typed = [("ADP", "-1"), ("adp ", "-1.0"), ("The ADP.", "2"), ("glucose", "100"), ("ATP", "-1")]
    _attempts(
        quiz,
        school_a.student,
        [{text: {"text": t}, number: {"value": v}} for t, v in typed],
    )
    text_stats, number_stats = question_statistics(quiz)
    assert [(w.label, w.count, w.share) for w in text_stats.wrong_answers] == [
        ("ADP", 3, 0.6),
        ("glucose", 1, 0.2),
    ]
    assert text_stats.facility == pytest.approx(0.2)
    assert [(w.label, w.count) for w in number_stats.wrong_answers] == [("-1", 3), ("2", 1)]
    assert number_stats.facility == pytest.approx(0.2)


def _statements(captured) -> int:
    """Statements run, not counting django-tenants' `SET search_path`."""
    return sum(1 for q in captured.captured_queries if not q["sql"].startswith("SET search_path"))


def test_only_submitted_attempts_of_the_quiz_count_and_reading_takes_three_queries(
    school_a, biology
):
    quiz, questions = published_quiz(
        biology, school_a.teacher, [{}, {}, {}, {}], attempts_allowed=0
    )
    other, (other_q,) = published_quiz(biology, school_a.teacher, [{}])
    _attempts(quiz, school_a.student, [{q: "right" for q in questions}] * 3)
    take(quiz, school_a.student, {q: "wrong" for q in questions}, submit=False)  # in progress
    take(other, school_a.student, {other_q: "wrong"})
    with CaptureQueriesContext(connection) as captured:
        stats = question_statistics(quiz)
    assert _statements(captured) == 3  # the answers, the quiz's questions, the versions shown
    assert [(s.answered, s.facility) for s in stats] == [(3, 1.0)] * 4


def test_a_question_nobody_answered_yet_has_no_figures(school_a, biology):
    quiz, (q,) = published_quiz(biology, school_a.teacher, [{}])
    (stats,) = question_statistics(quiz)
    assert (stats.answered, stats.facility, stats.discrimination, stats.flags) == (
        0,
        None,
        None,
        [],
    )


def test_the_course_bank_pools_every_quiz_and_lists_flagged_questions_first(school_a, biology):
    first, (shared, easy) = published_quiz(biology, school_a.teacher, [{}, {}], attempts_allowed=0)
    second, (own,) = published_quiz(biology, school_a.teacher, [{}], attempts_allowed=0)
    from quizzes.services import quiz_questions_add

    quiz_questions_add(second, [shared.pk])
    _attempts(first, school_a.student, [{shared: {"option": "b"}, easy: "right"}] * 3)
    _attempts(second, school_a.student, [{shared: {"option": "b"}}] * 2)  # own: skipped
    stats = course_question_statistics(biology)
    assert [(s.question_id, s.answered, s.facility) for s in stats] == [
        (shared.pk, 5, 0.0),
        (easy.pk, 3, 1.0),
        (own.pk, 0, None),
    ]
    assert [f.code for f in stats[0].flags] == ["too_hard", "distractor"]
    assert stats[2].skipped == 2
    assert stats[0].position is None


def test_quiz_summaries_and_the_score_histogram(school_a, biology):
    quiz, (q1, q2, q3) = published_quiz(biology, school_a.teacher, [{}, {}, {}], attempts_allowed=0)
    _attempts(
        quiz,
        school_a.student,
        [
            {q1: "right", q2: "right", q3: "right"},  # 100%
            {q1: "right", q2: "right"},  # 66.7%
            {q1: "right"},  # 33.3%
            {},  # 0%
        ],
    )
    take(quiz, school_a.student, {q1: "right"}, submit=False)  # not submitted: not counted
    assert quiz_summaries(biology.pk) == {
        quiz.pk: {"quiz": quiz.pk, "attempts": 4, "students": 1, "average": 50.0, "median": 50.0}
    }
    assert [b.count for b in score_histogram(quiz)] == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert score_histogram(quiz)[-1].label == "90–100%"
