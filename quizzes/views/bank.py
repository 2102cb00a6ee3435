"""The question bank: filters, each question shown beside the passage it came from, edit in
place, accept, reject, regenerate, bulk accept, add the selected to a quiz, import.

htmx requests (``HX-Request``) get the card they swap; the same URLs without htmx redirect
back to the bank, so every action works from a plain form."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.access import course_access
from courses.models import Course
from quizzes.models import GenerationJob

from .. import selectors, services
from ..access import question_access, quiz_access
from ..forms import ImportForm, QuestionEditForm, RejectForm, add_service_errors, number_text
from ..models import AttemptQuestion, Difficulty, Question
from ..rendering import render as render_text
from .common import ACTIVE_JOB_STATES, INVALID, back_url, bank_url, exchange_module, is_htmx

QUESTIONS_PER_PAGE = 20


@dataclass
class Card:
    """One question as the review screen shows it: its text already rendered to sanitised
    HTML, where it came from, whether students have seen this version, and its regeneration."""

    question: Question
    next: str
    stem_html: str = ""
    explanation_html: str = ""
    options: list = field(default_factory=list)
    accepted: list = field(default_factory=list)
    numeric: dict | None = None
    passage_url: str = ""
    shown: bool = False
    job: GenerationJob | None = None  # the latest regeneration of this question
    replacements: list = field(default_factory=list)
    flash: str = ""

    @property
    def version(self):
        return self.question.current_version

    @property
    def replacing(self) -> bool:
        return self.job is not None and self.job.state in ACTIVE_JOB_STATES


def _passage_url(course: Course, question: Question) -> str:
    if not (question.source_material_id and question.source_chunk_id):
        return ""
    url = reverse(
        "ai:material", kwargs={"course_id": course.pk, "material_id": question.source_material_id}
    )
    return f"{url}?chunk={question.source_chunk_id}#chunk-{question.source_chunk_id}"


def _cards(course: Course, questions, *, next_url: str) -> list[Card]:
    """Cards for these questions with what they need in a fixed number of queries: which
    versions students have seen, and the latest regeneration job of each."""
    questions = list(questions)
    version_ids = [q.current_version_id for q in questions if q.current_version_id]
    shown = set(
        AttemptQuestion.objects.filter(version_id__in=version_ids)
        .values_list("version_id", flat=True)
        .distinct()
    )
    jobs: dict[int, GenerationJob] = {}
    for job in GenerationJob.objects.filter(
        course=course, replaces_id__in=[q.pk for q in questions]
    ).order_by("created_at", "id"):
        assert job.replaces_id is not None  # the filter leaves only regenerations
        jobs[job.replaces_id] = job  # the latest wins
    finished = [j.pk for j in jobs.values() if j.state == GenerationJob.State.DONE]
    made: dict[int, list[int]] = {}
    for qid, job_id in Question.objects.filter(generation_job_id__in=finished).values_list(
        "pk", "generation_job_id"
    ):
        made.setdefault(job_id, []).append(qid)
    cards = []
    for question in questions:
        version = question.current_version
        card = Card(
            question=question,
            next=next_url,
            stem_html=render_text(version.stem),
            explanation_html=render_text(version.explanation) if version.explanation else "",
            passage_url=_passage_url(course, question),
            shown=version.pk in shown,
            job=jobs.get(question.pk),
        )
        if card.job is not None:
            card.replacements = made.get(card.job.pk, [])
        if question.kind == Question.Kind.NUMERIC:
            # 4, not 4.0: the value as a teacher would write it.
            card.numeric = {
                **version.answer,
                "value": number_text(version.answer.get("value")),
                "tolerance": number_text(version.answer.get("tolerance") or None),
            }
        elif version.options:
            card.options = [
                {
                    "id": option.get("id", ""),
                    "html": render_text(option.get("text"), inline=True),
                    "correct": option.get("correct") is True,
                    "feedback_html": render_text(option.get("feedback"), inline=True)
                    if option.get("feedback")
                    else "",
                }
                for option in version.options
            ]
        else:
            card.accepted = [
                render_text(text, inline=True) for text in version.answer.get("accepted", [])
            ]
        cards.append(card)
    return cards


def _card_response(request, course: Course, question: Question, *, flash: str = ""):
    """The card again for htmx; a redirect back to the bank (at the card) for a plain form."""
    next_url = back_url(request, bank_url(course))
    if not is_htmx(request):
        if flash:
            messages.success(request, flash)
        return redirect(f"{next_url}#question-{question.pk}")
    # Fresh, with its current version.
    question = question_access(request.user, question.pk, course=course)
    card = _cards(course, [question], next_url=next_url)[0]
    card.flash = flash
    return render(request, "quizzes/_question_card.html", {"course": course, "card": card})


def _bank_filters(request) -> dict:
    values = {name: request.GET.get(name, "").strip() for name in ("status", "kind", "topic")}
    values["difficulty"] = request.GET.get("difficulty", "").strip()
    values["job"] = request.GET.get("job", "").strip()
    if values["status"] not in Question.Status.values:
        values["status"] = ""
    if values["kind"] not in Question.Kind.values:
        values["kind"] = ""
    if values["difficulty"] not in Difficulty.values:
        values["difficulty"] = ""
    if not values["job"].isdigit():
        values["job"] = ""
    return values


def _bank_context(request, course: Course, *, selected=(), bulk_error: str = "") -> dict:
    filters = _bank_filters(request)
    questions = selectors.question_list(course, **{k: v for k, v in filters.items() if v})
    page = Paginator(questions, QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))
    next_url = request.get_full_path() if request.method == "GET" else bank_url(course)
    query = request.GET.copy()
    query.pop("page", None)
    exchange = exchange_module()
    return {
        "course": course,
        "filters": filters,
        "query": query.urlencode(),
        "page": page,
        "cards": _cards(course, page.object_list, next_url=next_url),
        "counts": selectors.bank_counts(course),
        "topics": selectors.question_topics(course),
        "jobs": selectors.generation_job_list(course)[:50],
        "quizzes": selectors.quiz_list_for(request.user, course),
        "status_choices": Question.Status.choices,
        "kind_choices": Question.Kind.choices,
        "difficulty_choices": Difficulty.choices,
        "selected": {int(i) for i in selected},
        "bulk_error": bulk_error,
        "next": next_url,
        "import_form": ImportForm() if exchange is not None else None,
    }


@never_cache
@login_required
@require_GET
def bank(request, course_id: int):
    """The course's question bank: filters, each question beside its source passage, actions
    on one card or on the selected ones."""
    course = course_access(request.user, course_id, manage=True)
    return render(request, "quizzes/bank.html", _bank_context(request, course))


@never_cache
@login_required
@require_GET
def question_card(request, course_id: int, question_id: int):
    """One card as it stands now (Cancel on an edit, and a card waiting for its replacement)."""
    course = course_access(request.user, course_id, manage=True)
    question = question_access(request.user, question_id, course=course)
    if not is_htmx(request):
        return redirect(f"{back_url(request, bank_url(course))}#question-{question.pk}")
    return _card_response(request, course, question)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request, course_id: int, question_id: int):
    """Edit in place: GET swaps the card for its form, POST saves it (a new version when
    students have seen the current one) and swaps the card back. Refused input comes back in
    the form, as typed, with the reasons."""
    course = course_access(request.user, course_id, manage=True)
    question = question_access(request.user, question_id, course=course)
    next_url = back_url(request, bank_url(course))
    form = QuestionEditForm(question, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        before = question.current.number
        try:
            question = services.question_update(question, edited_by=request.user, **form.content())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            number = question.current.number
            flash = (
                f"Saved as version {number}; attempts already made keep version {before}."
                if number != before
                else "Saved."
            )
            return _card_response(request, course, question, flash=flash)
    shown = services.version_was_shown(question.current)
    context = {
        "course": course,
        "card": _cards(course, [question], next_url=next_url)[0],
        "form": form,
        "shown": shown,
    }
    status = (INVALID if is_htmx(request) else 400) if form.is_bound else 200
    template = "quizzes/_question_form.html" if is_htmx(request) else "quizzes/question_edit.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def question_accept(request, course_id: int, question_id: int):
    course = course_access(request.user, course_id, manage=True)
    question = question_access(request.user, question_id, course=course)
    services.question_accept(question)
    return _card_response(request, course, question, flash="Accepted.")


@login_required
@require_POST
def question_reject(request, course_id: int, question_id: int):
    course = course_access(request.user, course_id, manage=True)
    question = question_access(request.user, question_id, course=course)
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.question_reject(question, reason=reason)
    except ValidationError as exc:
        return _card_error(request, course, question, " ".join(exc.messages))
    return _card_response(request, course, question, flash="Rejected.")


@login_required
@require_POST
def question_regenerate(request, course_id: int, question_id: int):
    """Ask for one new question in place of this one (a one-question generation job)."""
    from tenants.quotas import QuotaExceeded

    course = course_access(request.user, course_id, manage=True)
    question = question_access(request.user, question_id, course=course)
    from quizzes.generation.lifecycle import generation_question_regenerate

    try:
        generation_question_regenerate(question, requested_by=request.user)
    except QuotaExceeded as exc:
        return _card_error(request, course, question, exc.message)
    except ValidationError as exc:
        return _card_error(request, course, question, " ".join(exc.messages))
    return _card_response(request, course, question, flash="A replacement is being generated.")


def _card_error(request, course: Course, question: Question, message: str):
    if not is_htmx(request):
        messages.error(request, message)
        return redirect(f"{back_url(request, bank_url(course))}#question-{question.pk}")
    card = _cards(course, [question], next_url=back_url(request, bank_url(course)))[0]
    card.flash = message
    return render(
        request,
        "quizzes/_question_card.html",
        {"course": course, "card": card, "card_error": True},
        status=INVALID,
    )


def _selected_ids(request) -> list[int]:
    return [int(i) for i in request.POST.getlist("ids") if i.isdigit()]


@login_required
@require_POST
def questions_bulk(request, course_id: int):
    """Act on the selected questions: accept them all, or add them to a quiz (an existing one,
    or a new one made with the given title)."""
    course = course_access(request.user, course_id, manage=True)
    ids = _selected_ids(request)
    action = request.POST.get("action", "")
    back = back_url(request, bank_url(course))
    if not ids:
        return _bulk_refused(request, course, ids, "Select at least one question first.")
    if action == "accept":
        changed = services.questions_bulk_accept(course, ids)
        messages.success(
            request,
            f"Accepted {changed} question{'s' if changed != 1 else ''}."
            if changed
            else "None of the selected questions was a draft; nothing changed.",
        )
        return redirect(back)
    if action != "add":
        return _bulk_refused(request, course, ids, "Choose what to do with the selection.")
    quiz_id = request.POST.get("quiz", "")
    title = request.POST.get("new_title", "")
    try:
        with transaction.atomic():
            if quiz_id.isdigit():
                quiz = quiz_access(request.user, int(quiz_id), course=course, manage=True)
            elif title.strip():
                quiz = services.quiz_create(course=course, title=title, created_by=request.user)
            else:
                raise ValidationError("Choose a quiz, or give the new quiz a title.")
            services.quiz_questions_add(quiz, ids)
    except ValidationError as exc:
        return _bulk_refused(request, course, ids, " ".join(exc.messages))
    messages.success(
        request, f"Added {len(ids)} question{'s' if len(ids) != 1 else ''} to “{quiz.title}”."
    )
    return redirect("quizzes:quiz", course_id=course.pk, quiz_id=quiz.pk)


def _bulk_refused(request, course: Course, ids, message: str):
    """The bank again with the selection kept and the reason beside the bulk actions."""
    context = _bank_context(request, course, selected=ids, bulk_error=message)
    context["new_title"] = request.POST.get("new_title", "")
    context["chosen_quiz"] = request.POST.get("quiz", "")
    return render(request, "quizzes/bank.html", context, status=400)


@login_required
@require_POST
def questions_import(request, course_id: int):
    """Import questions from a QTI, Moodle XML or GIFT file into the bank as drafts."""
    course = course_access(request.user, course_id, manage=True)
    exchange = exchange_module()
    if exchange is None:
        raise Http404("Importing is not available.")
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        # ErrorList yields its messages as strings; its stub says ValidationErrors too.
        text = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, text)
        return redirect("quizzes:bank", course_id=course.pk)
    try:
        report = exchange.questions_import(
            course,
            form.cleaned_data["format"],
            form.cleaned_data["file"].read(),
            imported_by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quizzes:bank", course_id=course.pk)
    return render(
        request, "quizzes/import_report.html", {"course": course, "report": report}, status=200
    )
