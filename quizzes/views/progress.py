"""Progress pages: a student's own progress (/progress/), a course's class dashboard for its
teachers and the school's admins (/courses/<id>/dashboard/), and the school overview for its
admins (/school/overview/). Each page follows its live topic over /ws/progress/ and fetches
itself again for what a push cannot patch in place (static/quizzes/progress.js)."""

from dataclasses import dataclass, replace

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import admin_required, role_required
from accounts.models import User
from courses.access import course_access
from smartedu.db_routers import reports_from_replica
from smartedu.errors import NotFound

from ..models import Quiz
from ..progress import dashboards
from ..progress.access import SCHOOL_OVERVIEW_KEY
from ..progress.dashboards import CourseFigures, StudentRow
from ..statistics.questions import course_question_statistics, question_statistics
from ..statistics.scores import quiz_summaries, score_histogram


def _bar(percent) -> str:
    """A CSS width for a bar of ``percent`` (0..100, None as 0), dot-decimal whatever the
    locale."""
    value = max(0.0, min(100.0, float(percent or 0)))
    return f"{value:.1f}%"


def _pct(percent) -> str:
    """72.5 → "72.5%", 100.0 → "100%", None → "—" (progress.js writes them the same way)."""
    return "—" if percent is None else f"{round(float(percent), 1):g}%"


def _detail(earned: float, possible: float, answered: int) -> str:
    questions = "question" if answered == 1 else "questions"
    return f"{round(earned, 2):g} of {round(possible, 2):g} points · {answered} {questions}"


def _heat(percent) -> str:
    """The heatmap colour step of a mastery percent (0..9; "none" when no answers)."""
    if percent is None:
        return "none"
    return str(min(9, int(float(percent) // 10)))


@dataclass(kw_only=True)
class _LabelledStudentRow(StudentRow):
    """A class dashboard row with the words and widths its template shows."""

    cells: list[tuple[str, str, str, str]]  # (topic, label, heat step, detail) per topic
    bar: str
    label: str
    detail: str


@dataclass(kw_only=True)
class _LabelledCourseFigures(CourseFigures):
    """A school overview row with its mastery bar and label."""

    bar: str
    label: str


def _label_row(row: dict | None) -> None:
    if row is not None:
        row["bar"] = _bar(row["percent"])
        row["label"] = _pct(row["percent"])
        row["detail"] = _detail(row["earned"], row["possible"], row["questions_answered"])


@never_cache
@role_required(User.Role.STUDENT)
@require_GET
def student_progress(request):
    """The signed-in student's courses: overall mastery, per topic and objective, and their
    latest submitted attempts. Only their own rows are ever read."""
    courses = dashboards.student_progress(request.user)
    for entry in courses:
        mastery = entry.mastery
        for row in [mastery["overall"], *mastery["topics"], *mastery["objectives"]]:
            _label_row(row)
    return render(
        request,
        "quizzes/progress.html",
        {
            "courses": courses,
            "ws_path": f"/ws/progress/student-progress/{request.user.pk}/",
        },
    )


@never_cache
@login_required
@require_GET
def class_dashboard(request, course_id: int, quiz_id: int | None = None):
    """The class dashboard: students × topics mastery, each student's overall mastery and last
    activity, the quizzes' results, and question statistics for one quiz (``quiz_id``, else
    the newest quiz with submitted attempts) with the course's weak questions flagged."""
    course = course_access(request.user, course_id, manage=True)
    with reports_from_replica():
        return _class_dashboard(request, course, quiz_id)


def _class_dashboard(request, course, quiz_id: int | None):
    quizzes = list(Quiz.objects.filter(course=course).order_by("-created_at", "-id"))
    summaries = quiz_summaries(course.pk)
    if quiz_id is not None:
        selected = next((q for q in quizzes if q.pk == quiz_id), None)
        if selected is None:
            raise NotFound("No such quiz in this course.")
    else:
        selected = _latest_answered(quizzes, summaries)
    grid = dashboards.class_grid(course)
    grid = replace(grid, students=[_labelled_row(row, grid.topics) for row in grid.students])
    quiz_rows = [(quiz, _summary_labels(summaries.get(quiz.pk))) for quiz in quizzes]
    context = {
        "course": course,
        "can_manage": True,
        "grid": grid,
        "average_label": _pct(grid.average),
        "quiz_rows": quiz_rows,
        "attempt_count": sum(s["attempts"] for s in summaries.values()),
        "selected": selected,
        "ws_path": f"/ws/progress/course-progress/{course.pk}/",
        "edit_next": request.get_full_path(),
        "weak": [_stats_labels(s) for s in course_question_statistics(course) if s.flags],
    }
    if selected is not None:
        histogram = score_histogram(selected)
        tallest = max((b.count for b in histogram), default=0)
        context.update(
            question_stats=[_stats_labels(q) for q in question_statistics(selected)],
            histogram=[(b, _bar(100 * b.count / tallest if tallest else 0)) for b in histogram],
            selected_summary=_summary_labels(summaries.get(selected.pk)),
        )
    return render(request, "quizzes/class_dashboard.html", context)


def _labelled_row(row: StudentRow, topics: list[str]) -> _LabelledStudentRow:
    cells = []
    for topic in topics:
        m = row.topics.get(topic)
        percent = m.percent if m else None
        detail = _detail(m.earned, m.possible, m.questions_answered) if m else "no answers"
        cells.append((topic, _pct(percent), _heat(percent), detail))
    o = row.overall
    return _LabelledStudentRow(
        **vars(row),
        cells=cells,
        bar=_bar(o.percent if o else None),
        label=_pct(o.percent if o else None),
        detail=_detail(o.earned, o.possible, o.questions_answered) if o else "No answers yet",
    )


def _summary_labels(summary: dict | None) -> dict | None:
    if summary is not None:
        summary = {
            **summary,
            "average_label": _pct(summary["average"]),
            "median_label": _pct(summary["median"]),
        }
    return summary


def _stats_labels(stats):
    stats.facility_label = _pct(stats.facility_percent)
    stats.facility_bar = _bar(stats.facility_percent)
    r = stats.discrimination
    stats.discrimination_label = "—" if r is None else f"{r:.2f}"
    for wrong in stats.wrong_answers:
        wrong.share_label = _pct(100 * wrong.share)
    return stats


def _latest_answered(quizzes: list[Quiz], summaries: dict) -> Quiz | None:
    """The quiz whose statistics the dashboard opens with: the newest one with submitted
    attempts, else the newest quiz."""
    candidates = [q for q in quizzes if q.pk in summaries] or quizzes
    return candidates[0] if candidates else None


@never_cache
@admin_required
@require_GET
def school_overview(request):
    """The school admin's overview: every course's figures, submitted attempts per day for the
    last 30 days, and the live quiz sessions running now."""
    with reports_from_replica():
        overview = dashboards.school_overview()
    busiest = overview.busiest_day
    days = [
        (day, n, _bar(100 * n / busiest if busiest else 0)) for day, n in overview.attempts_per_day
    ]
    overview = replace(
        overview,
        courses=[
            _LabelledCourseFigures(
                **vars(figures),
                bar=_bar(figures.average_mastery),
                label=_pct(figures.average_mastery),
            )
            for figures in overview.courses
        ],
    )
    return render(
        request,
        "quizzes/school_overview.html",
        {
            "overview": overview,
            "days": days,
            "ws_path": f"/ws/progress/school-overview/{SCHOOL_OVERVIEW_KEY}/",
        },
    )
