"""Asking for generated questions, and a job's live progress."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from courses.access import course_access
from courses.models import Course, Material
from quizzes.models import GenerationJob

from .. import selectors
from ..access import generation_job_access
from ..forms import GenerateForm, add_service_errors
from ..models import Question
from .common import bank_url

RECENT_JOBS = 10


def _budget():
    from tenants.quotas import GENERATED_QUESTIONS, ai_budget

    return ai_budget(GENERATED_QUESTIONS)


def _job_context(course: Course, job: GenerationJob) -> dict:
    total = job.count or 0
    done = min(job.created_count, total) if total else 0
    if job.state == GenerationJob.State.DONE:
        percent = 100
    elif job.state == GenerationJob.State.QUEUED:
        percent = None
    else:
        percent = 100 * done // total if total else None
    drafts = (
        Question.objects.filter(generation_job=job, status=Question.Status.DRAFT).count()
        if job.is_finished
        else 0
    )
    review_url = f"{bank_url(course)}?job={job.pk}&status=draft"
    return {
        "course": course,
        "job": job,
        "percent": percent,
        "done": done,
        "drafts": drafts,
        "review_url": review_url,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def generate(request, course_id: int):
    """Ask for generated questions: the form, the school's remaining budget, recent jobs."""
    from tenants.quotas import QuotaExceeded

    course = course_access(request.user, course_id, manage=True)
    materials = Material.objects.filter(course=course, state=Material.State.READY).order_by(
        "title", "id"
    )
    bound = request.method == "POST"
    form = GenerateForm(request.POST if bound else None, materials=materials)
    status = 200
    if bound:
        if form.is_valid():
            from quizzes.generation.lifecycle import generation_job_create

            data = form.cleaned_data
            try:
                job = generation_job_create(
                    course=course,
                    requested_by=request.user,
                    count=data["count"],
                    kinds=list(data["kinds"]),
                    difficulty=data["difficulty"],
                    topic=data["topic"],
                    objectives=data["objectives"],
                    material_ids=[m.pk for m in data["materials"]],
                    via="web",
                )
            except QuotaExceeded as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                add_service_errors(form, exc, aliases={"material_ids": "materials"})
            else:
                return redirect("quizzes:job", course_id=course.pk, job_id=job.pk)
        status = 400
    return render(
        request,
        "quizzes/generate.html",
        {
            "course": course,
            "form": form,
            "budget": _budget(),
            "has_materials": materials.exists(),
            "jobs": selectors.generation_job_list(course)[:RECENT_JOBS],
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def job_detail(request, course_id: int, job_id: int):
    """One generation job with its live progress (websocket, or polling the panel)."""
    course = course_access(request.user, course_id, manage=True)
    job = generation_job_access(request.user, job_id, course=course)
    return render(
        request,
        "quizzes/job.html",
        {
            **_job_context(course, job),
            "kind_labels": [Question.Kind(k).label for k in job.kinds if k in Question.Kind.values],
        },
    )


@never_cache
@login_required
@require_GET
def job_panel(request, course_id: int, job_id: int):
    """The job's progress panel as it stands now (what the live page swaps in)."""
    course = course_access(request.user, course_id, manage=True)
    job = generation_job_access(request.user, job_id, course=course)
    return render(request, "quizzes/_job_panel.html", _job_context(course, job))
