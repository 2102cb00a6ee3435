"""The rules of a live class session, whichever surface calls them (the websocket consumer and
the host page's forms call these same services; tests/realtime covers the wire)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes import services
from quizzes.live.answers import live_answer
from quizzes.live.rules import JOIN_CODE_ALPHABET, LiveRefused
from quizzes.live.selectors import live_round_cached, live_session_find
from quizzes.live.services import (
    live_connect,
    live_join,
    live_round_close,
    live_round_open_next,
    live_session_end,
    live_session_start,
)
from quizzes.live.shown import plain
from quizzes.live.snapshots import end_event, live_state, reveal_event
from quizzes.models import LiveAnswer, LiveParticipant, LiveRound, LiveSession, Quiz
from quizzes.progress.mastery import latest_graded_answers

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _in_school_a(school_a):
    with schema_context(school_a.schema):
        yield


@pytest.fixture
def classmate(school_a, biology):
    """A's second student, also in Biology."""
    course_services.enrollment_add(course=biology, user=school_a.students[1], role="student")
    return school_a.students[1]


@pytest.fixture
def quiz_of(school_a, biology, bank):
    """``quiz_of(kinds)``: a published Biology quiz with one question of each kind, in order."""

    def make(kinds=("single", "numeric"), **content):
        questions = [bank(kind, **content) for kind in kinds]
        quiz = services.quiz_create(course=biology, title="Cells live", created_by=school_a.teacher)
        services.quiz_questions_add(quiz, [q.pk for q in questions])
        services.quiz_publish(quiz)
        return Quiz.objects.select_related("course").get(pk=quiz.pk)

    return make


@pytest.fixture
def running(quiz_of, school_a):
    """``running(kinds, **options)``: a session of a fresh quiz with its first round open at
    NOW and A's first student joined."""

    def make(kinds=("single", "numeric"), content=None, **options):
        session = live_session_start(quiz_of(kinds, **(content or {})), school_a.teacher, **options)
        live_join(session, school_a.student)
        live_round_open_next(session.pk, by=school_a.teacher, now=NOW)
        session.refresh_from_db()
        return session

    return make


def _participant(session, student) -> LiveParticipant:
    return LiveParticipant.objects.get(session=session, student=student)


def _option(session, text: str) -> str:
    live_round = live_round_cached(session.pk, session.position)
    return next(o["id"] for o in live_round.version.options if o["text"] == text)


def _answer(session, student, response, *, seconds: float = 1.0):
    session.refresh_from_db()
    live_round = live_round_cached(session.pk, session.position)
    return live_answer(
        live_round,
        _participant(session, student),
        response,
        now=live_round.opened_at + dt.timedelta(seconds=seconds),
    )


def _on_the_wire(event) -> tuple[dict, dict]:
    """A reveal or end event as it goes out: the shared message and each participant's line."""
    body, you = event
    return body.as_message(), {key: plain(line) for key, line in you.items()}


def _refused(code: str, func, *args, **kwargs) -> LiveRefused:
    with pytest.raises(LiveRefused) as refused:
        func(*args, **kwargs)
    assert refused.value.code == code
    return refused.value


# --- starting and joining ------------------------------------------------------------------


def test_join_codes_are_six_unambiguous_characters_unique_among_running_sessions(quiz_of, school_a):
    quiz = quiz_of()
    codes = [live_session_start(quiz, school_a.teacher).join_code for _ in range(25)]
    assert len(set(codes)) == 25
    assert all(re.fullmatch(f"[{JOIN_CODE_ALPHABET}]{{6}}", code) for code in codes)
    assert not set("01ILO") & set(JOIN_CODE_ALPHABET)


def test_a_code_a_running_session_holds_is_skipped_and_freed_when_it_ends(quiz_of, school_a):
    quiz = quiz_of()
    first = live_session_start(quiz, school_a.teacher, codes=iter(["ABC234"]))
    second = live_session_start(quiz, school_a.teacher, codes=iter(["ABC234", "XYZ789"]))
    assert (first.join_code, second.join_code) == ("ABC234", "XYZ789")
    live_session_end(first.pk, by=school_a.teacher)
    third = live_session_start(quiz, school_a.teacher, codes=iter(["ABC234"]))
    assert third.join_code == "ABC234"
    assert live_session_find(school_a.student, "abc 234").pk == third.pk


def test_only_a_published_quiz_with_questions_runs_live_and_only_its_teachers_run_it(
    quiz_of, school_a, biology
):
    draft = services.quiz_create(course=biology, title="Draft", created_by=school_a.teacher)
    _refused("not_published", live_session_start, draft, school_a.teacher)
    quiz = quiz_of()
    _refused("not_host", live_session_start, quiz, school_a.student)
    _refused("bad_settings", live_session_start, quiz, school_a.teacher, seconds_per_question=3)
    _refused("bad_settings", live_session_start, quiz, school_a.teacher, seconds_per_question=601)
    assert not LiveSession.objects.filter(quiz__in=[draft, quiz]).exists()
    session = live_session_start(quiz, school_a.admin, seconds_per_question=30)
    assert (session.state, session.position, session.seconds_per_question) == ("lobby", 0, 30)


def test_rejoining_finds_the_same_participant_alias_score_and_answer(running, school_a):
    session = running()
    first = _participant(session, school_a.student)
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", first.alias)
    _answer(session, school_a.student, {"option": _option(session, "Mitochondrion")})
    again, created = live_join(session, school_a.student)
    assert not created and again.pk == first.pk and again.alias == first.alias
    session2, role, participant = live_connect(school_a.student, session.join_code.lower())
    assert (session2.pk, role, participant.pk) == (session.pk, "student", first.pk)
    state = live_state(session2, role=role, participant=participant).as_message()
    assert state["you"] == {"participant": first.pk, "alias": first.alias, "score": 1.95, "rank": 1}
    assert state["answer"]["response"] == {"option": _option(session, "Mitochondrion")}
    assert LiveParticipant.objects.filter(session=session).count() == 1


def test_a_state_asked_for_later_gives_the_score_as_it_stands_not_as_it_was_at_joining(
    running, school_a
):
    session = running(("single",))
    held = _participant(session, school_a.student)  # what a socket keeps from its handshake
    _answer(session, school_a.student, {"option": _option(session, "Mitochondrion")})
    live_round_close(session.pk, by=school_a.teacher)
    session.refresh_from_db()
    state = live_state(session, role="student", participant=held).as_message()
    assert (state["you"]["score"], state["you"]["rank"]) == (1.95, 1)
    assert state["reveal"]["you"]["score"] == 1.95


def test_aliases_differ_within_a_session(running, school_a, classmate):
    session = running()
    live_join(session, classmate)
    aliases = set(LiveParticipant.objects.filter(session=session).values_list("alias", flat=True))
    assert len(aliases) == 2


def test_a_student_of_another_course_is_refused_with_a_clear_message(running, school_a, biology):
    session = running()
    outsider = school_a.students[1]  # not in Biology
    refusal = _refused("not_a_student", live_connect, outsider, session.join_code)
    assert refusal.message.startswith("This live session is for the students of BIO-101")
    assert not LiveParticipant.objects.filter(session=session, student=outsider).exists()


def test_a_wrong_code_finds_no_running_session(running, school_a):
    session = running()
    refusal = _refused("not_found", live_connect, school_a.student, "ZZZZZZ")
    assert refusal.message == "No running session with that code."
    live_session_end(session.pk, by=school_a.teacher)
    # A finished session's code leads nowhere for anyone who was not in it.
    course_services.enrollment_add(
        course=session.quiz.course, user=school_a.students[1], role="student"
    )
    _refused("not_found", live_connect, school_a.students[1], session.join_code)
    # Its participants still see the final results for a while.
    assert live_connect(school_a.student, session.join_code)[0].state == "finished"


def test_school_b_cannot_find_a_code_of_school_a(running, school_b):
    session = running()
    with schema_context(school_b.schema):
        _refused("not_found", live_connect, school_b.teacher, session.join_code)
        assert not LiveSession.objects.filter(join_code=session.join_code).exists()


# --- answering -----------------------------------------------------------------------------


def test_the_first_answer_counts_and_a_second_is_refused(running, school_a):
    session = running()
    wrong = _answer(session, school_a.student, {"option": _option(session, "Ribosome")})
    assert (wrong.score, wrong.points_awarded, wrong.total) == (0.0, 0.0, 0.0)
    refusal = _refused(
        "already_answered",
        _answer,
        session,
        school_a.student,
        {"option": _option(session, "Mitochondrion")},
    )
    assert "first answer counts" in refusal.message
    answers = LiveAnswer.objects.filter(round__session=session)
    assert [a.response for a in answers] == [{"option": _option(session, "Ribosome")}]
    assert _participant(session, school_a.student).score == 0.0


def test_a_malformed_answer_is_refused_and_stores_nothing(running, school_a):
    session = running()
    refusal = _refused("bad_response", _answer, session, school_a.student, {"option": "zz"})
    assert "Choose one of the options" in refusal.message
    assert not LiveAnswer.objects.filter(round__session=session).exists()
    # The student may still answer properly.
    assert _answer(session, school_a.student, {"option": _option(session, "Nucleus")})


def test_an_answer_after_the_round_closed_is_refused_and_changes_nothing(
    running, school_a, classmate
):
    session = running()
    live_join(session, classmate)
    _answer(session, school_a.student, {"option": _option(session, "Mitochondrion")})
    assert live_round_close(session.pk, by=school_a.teacher)
    _refused("closed", _answer, session, classmate, {"option": _option(session, "Mitochondrion")})
    assert LiveAnswer.objects.filter(round__session=session).count() == 1
    assert _participant(session, classmate).score == 0.0


def test_an_answer_after_the_seconds_ran_out_is_refused_before_anyone_closes_the_round(
    running, school_a
):
    session = running(seconds_per_question=10)
    refusal = _refused(
        "closed",
        _answer,
        session,
        school_a.student,
        {"option": _option(session, "Mitochondrion")},
        seconds=10.5,
    )
    assert refusal.message == "Answers to this question are closed."
    assert LiveRound.objects.get(session=session).closed_at is None
    # Exactly at the closing time still counts.
    assert _answer(session, school_a.student, {"option": _option(session, "Nucleus")}, seconds=10)


def test_a_student_answers_only_in_their_own_session(running, school_a):
    session = running()
    other = running()
    refusal = _refused(
        "not_open",
        live_answer,
        live_round_cached(other.pk, 1),
        _participant(session, school_a.student),
        {"option": "a"},
    )
    assert refusal.message == "That question is not in your session."


def test_speed_scoring_off_gives_the_points_only(running, school_a, classmate):
    session = running(speed_scoring=False)
    live_join(session, classmate)
    right = {"option": _option(session, "Mitochondrion")}
    fast = _answer(session, school_a.student, right, seconds=0.5)
    slow = _answer(session, classmate, right, seconds=15)
    assert (fast.points_awarded, slow.points_awarded) == (1.0, 1.0)


def test_speed_scoring_gives_fast_right_answers_up_to_double_and_wrong_ones_nothing(
    running, school_a, classmate
):
    session = running(seconds_per_question=20)
    live_join(session, classmate)
    right = {"option": _option(session, "Mitochondrion")}
    assert _answer(session, school_a.student, right, seconds=0).points_awarded == 2.0
    assert _answer(session, classmate, right, seconds=15).points_awarded == 1.25
    wrong_session = running(seconds_per_question=20)
    wrong = _answer(
        wrong_session, school_a.student, {"option": _option(wrong_session, "Ribosome")}, seconds=0
    )
    assert wrong.points_awarded == 0.0


def test_live_answers_count_towards_mastery_after_commit(
    running, school_a, django_capture_on_commit_callbacks
):
    session = running()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _answer(session, school_a.student, {"option": _option(session, "Mitochondrion")})
    assert len(callbacks) == 1  # host count, other devices and progress_changed, after commit
    question_id = LiveRound.objects.get(session=session).question_id
    latest = latest_graded_answers(school_a.student.pk, session.quiz.course_id)
    assert latest[question_id] == (1.0, 1.0)


# --- the host's pace, results and leaderboards --------------------------------------------


def test_next_follows_the_quiz_order_and_refuses_while_open_and_past_the_last(running, school_a):
    session = running(("single", "numeric"))
    first = live_round_cached(session.pk, 1)
    assert first.question.kind == "single"
    assert first.version_id == first.question.current_version_id
    _refused("round_open", live_round_open_next, session.pk, by=school_a.teacher)
    live_round_close(session.pk, by=school_a.teacher)
    second = live_round_open_next(session.pk, by=school_a.teacher)
    assert (second.position, second.question.kind) == (2, "numeric")
    live_round_close(session.pk, by=school_a.teacher)
    refusal = _refused("no_questions_left", live_round_open_next, session.pk, by=school_a.teacher)
    assert "end the session" in refusal.message


def test_a_student_cannot_pace_or_end_the_session(running, school_a):
    session = running()
    _refused("not_host", live_round_close, session.pk, by=school_a.student)
    _refused("not_host", live_session_end, session.pk, by=school_a.student)
    _refused("not_host", live_round_open_next, session.pk, by=school_a.student)
    session.refresh_from_db()
    assert (session.state, session.position) == ("question", 1)


def test_closing_is_idempotent_and_a_timer_only_closes_a_round_that_is_due(running, school_a):
    session = running(seconds_per_question=30)
    live_round = LiveRound.objects.get(session=session)
    early = NOW + dt.timedelta(seconds=29)
    assert not live_round_close(session.pk, only_if_due=True, now=early)
    assert not live_round_close(
        session.pk, round_id=live_round.pk + 999, only_if_due=True, now=NOW + dt.timedelta(60)
    )
    due = NOW + dt.timedelta(seconds=30)
    assert live_round_close(session.pk, round_id=live_round.pk, only_if_due=True, now=due)
    assert not live_round_close(session.pk, only_if_due=True, now=due)
    assert not live_round_close(session.pk, by=school_a.teacher)
    live_round.refresh_from_db()
    session.refresh_from_db()
    assert (live_round.closed_at, session.state) == (due, "reveal")


def test_a_reconnecting_page_closes_a_round_whose_time_is_up(running, school_a):
    session = running(seconds_per_question=5)
    later = NOW + dt.timedelta(seconds=6)
    session, _, _ = live_connect(school_a.student, session.join_code, now=later)
    assert session.state == "reveal"


def test_reveal_counts_each_option_and_gives_the_key_explanation_and_source(
    running, school_a, classmate
):
    source = {"page": 4, "section": "Mitochondria", "quote": "Mitochondria make most ATP."}
    session = running(
        ("single",), content={"explanation": "Respiration happens there.", "source": source}
    )
    live_join(session, classmate)
    _answer(session, school_a.student, {"option": _option(session, "Mitochondrion")})
    _answer(session, classmate, {"option": _option(session, "Ribosome")})
    live_round_close(session.pk, by=school_a.teacher)
    session.refresh_from_db()
    body, you = _on_the_wire(reveal_event(session, LiveRound.objects.get(session=session)))
    results = body["results"]
    options = [(o["text_html"], o["count"], o["percent"], o["correct"]) for o in results["options"]]
    assert options == [
        ("Mitochondrion", 1, 50, True),
        ("Ribosome", 1, 50, False),
        ("Nucleus", 0, 0, False),
    ]  # fmt: skip
    assert (results["answered"], results["right"], results["wrong"], results["unanswered"]) == (
        2, 1, 1, 0,
    )  # fmt: skip
    assert results["correct_answer"] == {"options": [_option(session, "Mitochondrion")]}
    assert results["explanation_html"].strip() == "<p>Respiration happens there.</p>"
    assert results["source"] == {
        "material": None,
        "title": "",
        "page": 4,
        "section": "Mitochondria",
        "quote": "Mitochondria make most ATP.",
    }
    mine = you[str(_participant(session, school_a.student).pk)]
    theirs = you[str(_participant(session, classmate).pk)]
    assert (mine["correct"], mine["rank"], mine["points_awarded"]) == (True, 1, 1.95)
    assert (theirs["correct"], theirs["rank"], theirs["points_awarded"]) == (False, 2, 0.0)
    assert "correct" not in str(body["round"]["options"])  # the question as shown, no key


def test_reveal_of_a_numeric_question_counts_right_and_wrong(running, school_a, classmate):
    session = running(("numeric",))
    live_join(session, classmate)
    _answer(session, school_a.student, {"value": "100.2"})
    _answer(session, classmate, {"value": "90"})
    live_round_close(session.pk, by=school_a.teacher)
    session.refresh_from_db()
    body, _ = _on_the_wire(reveal_event(session, LiveRound.objects.get(session=session)))
    results = body["results"]
    assert (results["right"], results["wrong"], results["options"]) == (1, 1, [])
    assert results["correct_answer"] == {"value": 100, "tolerance": 0.5, "unit": "°C"}


def test_the_open_round_shows_no_key_and_the_state_gives_counts(running, school_a, classmate):
    session = running(("single",))
    live_join(session, classmate)
    _answer(session, classmate, {"option": _option(session, "Nucleus")})
    state = live_state(session, role="host").as_message()
    assert state["round"]["position"] == 1 and state["reveal"] is None
    assert all(set(o) == {"id", "text_html"} for o in state["round"]["options"])
    assert state["counts"] == {"position": 1, "answered": 1, "participants": 2}


def test_anonymous_leaderboard_shows_aliases_not_names(running, school_a, classmate):
    session = running(("single",), anonymous_leaderboard=True)
    live_join(session, classmate)
    _answer(session, classmate, {"option": _option(session, "Mitochondrion")})
    live_round_close(session.pk, by=school_a.teacher)
    session.refresh_from_db()
    body, _ = _on_the_wire(reveal_event(session, LiveRound.objects.get(session=session)))
    names = [entry["name"] for entry in body["leaderboard"]]
    aliases = [
        _participant(session, classmate).alias,
        _participant(session, school_a.student).alias,
    ]
    assert names == aliases
    assert classmate.display_name not in str(body) and school_a.student.display_name not in str(
        body
    )


def test_named_leaderboard_ranks_ties_together_and_the_end_gives_each_their_rank(
    running, school_a, classmate
):
    session = running(("single",), speed_scoring=False)
    live_join(session, classmate)
    right = {"option": _option(session, "Mitochondrion")}
    _answer(session, school_a.student, right)
    _answer(session, classmate, right)
    assert live_session_end(session.pk, by=school_a.teacher)
    session.refresh_from_db()
    body, you = _on_the_wire(end_event(session))
    assert [(e["rank"], e["score"]) for e in body["leaderboard"]] == [(1, 1.0), (1, 1.0)]
    assert {e["name"] for e in body["leaderboard"]} == {
        school_a.student.display_name,
        classmate.display_name,
    }
    assert {line["rank"] for line in you.values()} == {1}


def test_without_a_leaderboard_nobody_gets_a_board_or_a_rank(running, school_a):
    session = running(("single",), show_leaderboard=False)
    _answer(session, school_a.student, {"option": _option(session, "Mitochondrion")})
    live_round_close(session.pk, by=school_a.teacher)
    session.refresh_from_db()
    body, you = _on_the_wire(reveal_event(session, LiveRound.objects.get(session=session)))
    assert body["leaderboard"] is None
    assert [line["rank"] for line in you.values()] == [None]
    assert [line["score"] for line in you.values()] == [1.95]


def test_ending_closes_the_open_round_finishes_the_session_and_frees_the_code(running, school_a):
    session = running()
    assert live_session_end(session.pk, by=school_a.teacher)
    assert not live_session_end(session.pk, by=school_a.teacher)
    session.refresh_from_db()
    assert session.state == "finished" and session.ended_at is not None
    assert LiveRound.objects.get(session=session).closed_at is not None
    _refused("closed", _answer, session, school_a.student, {"option": "a"})
    _refused("finished", live_round_open_next, session.pk, by=school_a.teacher)


def test_a_round_keeps_grading_the_version_it_showed_after_an_edit(running, school_a):
    session = running(("numeric",))
    live_round = LiveRound.objects.get(session=session)
    services.question_update(live_round.question, answer={"value": 42, "tolerance": 0})
    live_round.question.refresh_from_db()
    assert live_round.question.current_version_id != live_round.version_id
    fresh = LiveRound.objects.select_related("version").get(pk=live_round.pk)
    assert fresh.version.answer["value"] == 100
