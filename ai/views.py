"""Pages of course material and the tutor: upload and live ingestion, the extracted-text viewer,
the student's tutor and the teacher's traces.

Thin on purpose: who may see a course comes from ``courses.selectors`` (always as the asking
person), writes go through ``courses.services`` and ``ai.tutor``, reads through
``ai.selectors``. Every material or turn id is looked up inside the course in the URL, so an id
from another course (or school) is a 404."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import selectors as course_selectors
from courses import services as course_services
from courses.models import Course, Material
from courses.sniffing.rejection import MaterialRejected
from tenants.quotas import QuotaExceeded

from . import selectors
from .forms import MaterialUploadForm
from .models import TutorTurn

CHUNKS_PER_PAGE = 25
TRACES_PER_PAGE = 50
HISTORY_LENGTH = 30
_CITATION_RE = re.compile(r"\[(\d{1,2})\]")


def _visible_course(request, course_id: int) -> Course:
    return course_selectors.course_get_for(request.user, course_id)


def _managed_course(request, course_id: int) -> Course:
    """404 when the person cannot see the course, 403 when they can see but not manage it."""
    course = _visible_course(request, course_id)
    if not course_selectors.can_manage_course(request.user, course):
        raise PermissionDenied("Only the course's teachers and the school's admins can do this.")
    return course


def _course_material(request, course: Course, material_id: int, *, can_manage: bool) -> Material:
    material = course_selectors.material_get_for(request.user, material_id)
    if material.course_id != course.pk:
        raise Http404("No such material in this course.")
    # Students only ever see finished, usable material.
    if not can_manage and material.state != Material.State.READY:
        raise Http404("No such material.")
    return material


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


# --- materials -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    filename: str
    outcome: str  # uploaded | duplicate | rejected
    message: str
    material: Material | None = None


def _progress(material: Material) -> tuple[int | None, str]:
    """The bar's value (None: indeterminate) and the words under it, from what the database
    knows; the websocket refines both while the job runs."""
    state = material.state
    if state == Material.State.QUEUED:
        return None, "Waiting for a worker…"
    if state == Material.State.EXTRACTING:
        return None, "Reading the file…"
    if state == Material.State.EMBEDDING:
        total = material.chunk_count or 0
        done = min(material.embedded_count, total)
        percent = 50 + (50 * done // total if total else 0)
        return percent, f"Indexing passages: {done} of {total}"
    return 100, ""


def _rows(materials) -> list[dict]:
    rows = []
    for material in materials:
        percent, status = _progress(material)
        rows.append({"material": material, "percent": percent, "status": status})
    return rows


def _material_context(request, course: Course, can_manage: bool) -> dict:
    materials = course_selectors.material_list(course)
    if not can_manage:
        materials = materials.filter(state=Material.State.READY)
    return {
        "course": course,
        "can_manage": can_manage,
        "rows": _rows(materials),
        "max_files": settings.MATERIAL_MAX_FILES_PER_UPLOAD,
    }


def _upload(request, course: Course, files) -> list[UploadResult]:
    results = []
    for upload in files:
        filename = getattr(upload, "name", "") or "upload"
        try:
            material, created = course_services.material_upload(
                course=course, upload=upload, uploaded_by=request.user
            )
        except MaterialRejected as exc:
            results.append(UploadResult(filename, "rejected", exc.message))
            continue
        if created:
            message = "Uploaded. Reading it now; it is ready for the tutor when the bar is full."
            results.append(UploadResult(filename, "uploaded", message, material))
        else:
            message = f"This file was already uploaded as “{material.title}”; nothing was added."
            results.append(UploadResult(filename, "duplicate", message, material))
    return results


# Live pages: going back to them must show what is true now, not the browser's old copy.
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def material_list(request, course_id: int):
    """The course's material. Managers upload (form or drag and drop, several files at once)
    and watch ingestion live; students see what is ready."""
    course = _visible_course(request, course_id)
    can_manage = course_selectors.can_manage_course(request.user, course)
    form, results, status = None, [], 200
    if can_manage:
        bound = request.method == "POST"
        form = MaterialUploadForm(request.POST, request.FILES) if bound else MaterialUploadForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only the course's teachers and the school's admins upload.")
        if form.is_valid():
            results = _upload(request, course, form.cleaned_data["files"])
            if all(result.outcome == "rejected" for result in results):
                status = 400
            form = MaterialUploadForm()
        else:
            status = 400
    context = {**_material_context(request, course, can_manage), "form": form, "results": results}
    if request.method == "POST" and _wants_json(request):
        errors = form.errors.get("files", []) if form.is_bound else []
        return JsonResponse(
            {
                "results": [
                    {
                        "filename": r.filename,
                        "outcome": r.outcome,
                        "message": r.message,
                        "material": r.material.pk if r.material else None,
                    }
                    for r in results
                ],
                "errors": list(errors),
                "report_html": render_to_string("ai/_upload_report.html", context, request),
                "table_html": render_to_string("ai/_material_table.html", context, request),
            },
            status=status,
        )
    return render(request, "ai/materials.html", context, status=status)


@never_cache
@login_required
@require_GET
def material_row(request, course_id: int, material_id: int):
    """One material's row as it stands now (the live page swaps it in when a job finishes)."""
    course = _managed_course(request, course_id)
    material = _course_material(request, course, material_id, can_manage=True)
    return render(
        request,
        "ai/_material_row.html",
        {"course": course, "can_manage": True, "row": _rows([material])[0]},
    )


@login_required
@require_POST
def material_retry(request, course_id: int, material_id: int):
    course = _managed_course(request, course_id)
    material = _course_material(request, course, material_id, can_manage=True)
    try:
        course_services.material_retry(material)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{material.title}” is queued again.")
    return redirect("ai:materials", course_id=course.pk)


@login_required
@require_http_methods(["GET", "POST"])
def material_delete(request, course_id: int, material_id: int):
    course = _managed_course(request, course_id)
    material = _course_material(request, course, material_id, can_manage=True)
    list_url = reverse("ai:materials", kwargs={"course_id": course.pk})
    if request.method == "POST":
        course_services.material_delete(material)
        messages.success(request, f"“{material.title}” was deleted.")
        return redirect(list_url)
    return render(
        request,
        "confirm.html",
        {
            "title": f"Delete “{material.title}”?",
            "question": "The file and every passage taken from it are deleted; the tutor stops "
            "citing it. Answers given earlier keep their quotes.",
            "button": "Delete material",
            "danger": True,
            "cancel_url": list_url,
        },
    )


@login_required
@require_GET
def material_detail(request, course_id: int, material_id: int):
    """What was extracted: pages and sections, then every passage (paginated), each with a
    ``#chunk-<id>`` anchor. ``?chunk=<id>`` opens the page that holds that passage."""
    course = _visible_course(request, course_id)
    can_manage = course_selectors.can_manage_course(request.user, course)
    material = _course_material(request, course, material_id, can_manage=can_manage)
    paginator = Paginator(selectors.material_chunks(material), CHUNKS_PER_PAGE)
    target = None
    page_number = request.GET.get("page")
    chunk_param = request.GET.get("chunk", "")
    if chunk_param.isdigit():
        position = selectors.material_chunk_position(material, int(chunk_param))
        if position is not None:
            target = int(chunk_param)
            page_number = position // CHUNKS_PER_PAGE + 1
    page = paginator.get_page(page_number)
    outline = selectors.material_outline(material)
    first_ids = selectors.material_chunk_ids_at(material, [e["first_ordinal"] for e in outline])
    for entry in outline:
        entry["chunk_id"] = first_ids.get(entry["first_ordinal"])
    return render(
        request,
        "ai/material_detail.html",
        {
            "course": course,
            "can_manage": can_manage,
            "material": material,
            "page": page,
            "target": target,
            "outline": outline,
        },
    )


# --- tutor ---------------------------------------------------------------------------------


def _answer_parts(turn: TutorTurn) -> list[dict]:
    """The answer split into text and citation markers, so the template can turn ``[n]`` into
    a button without ever marking material text safe."""
    by_n = {c.get("n"): c for c in turn.citations or []}
    parts, last = [], 0
    for match in _CITATION_RE.finditer(turn.answer or ""):
        citation = by_n.get(int(match.group(1)))
        if citation is None:
            continue
        if match.start() > last:
            parts.append({"text": turn.answer[last : match.start()]})
        parts.append({"citation": citation})
        last = match.end()
    if last < len(turn.answer or ""):
        parts.append({"text": turn.answer[last:]})
    return parts


def _material_url(course: Course, citation: dict) -> str:
    url = reverse(
        "ai:material", kwargs={"course_id": course.pk, "material_id": citation["material_id"]}
    )
    return f"{url}?chunk={citation['chunk_id']}#chunk-{citation['chunk_id']}"


def _with_links(course: Course, turn: TutorTurn) -> TutorTurn:
    for citation in turn.citations or []:
        if citation.get("material_id") and citation.get("chunk_id"):
            citation["href"] = _material_url(course, citation)
    turn.parts = _answer_parts(turn)
    return turn


def _queue_answer(turn_id: int) -> None:
    from .tasks import answer_tutor_question

    # Questions jump ahead of embedding batches waiting on the same queue (as over the socket).
    transaction.on_commit(lambda: answer_tutor_question.apply_async((turn_id,), priority=0))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tutor(request, course_id: int):
    """Ask the course tutor. The page talks to the tutor over a websocket; without scripts the
    form posts the question, which a worker answers, and the page lists it."""
    course = _visible_course(request, course_id)
    error, question = "", ""
    if request.method == "POST":
        from .tutor import tutor_turn_create

        question = request.POST.get("question", "")
        try:
            turn = tutor_turn_create(
                course=course, asked_by=request.user, question=question, via="web"
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except QuotaExceeded as exc:
            error = exc.message
        else:
            _queue_answer(turn.pk)
            messages.success(request, "Your question was sent; the answer appears below.")
            return redirect("ai:tutor", course_id=course.pk)
    turns = [
        _with_links(course, turn)
        for turn in selectors.tutor_turn_list(course, asked_by=request.user)[:HISTORY_LENGTH]
    ]
    return render(
        request,
        "ai/tutor.html",
        {
            "course": course,
            "can_manage": course_selectors.can_manage_course(request.user, course),
            "turns": turns,
            "error": error,
            "question": question,
            "material_url_base": reverse("ai:materials", kwargs={"course_id": course.pk}),
            "max_question_chars": settings.TUTOR_MAX_QUESTION_CHARS,
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
@require_GET
def tutor_turn(request, course_id: int, turn_id: int):
    """One of the asker's own turns as JSON: what the page fetches when its socket dropped
    while an answer was on its way."""
    from .tutor import tutor_turn_payload

    course = _visible_course(request, course_id)
    turn = selectors.tutor_turn_get(course, turn_id, asked_by=request.user)
    if turn is None:
        return JsonResponse({"error": "No such question."}, status=404)
    payload = tutor_turn_payload(turn)
    if turn.state == TutorTurn.State.FAILED:
        payload["error"] = turn.error or "The tutor could not answer this time. Please ask again."
    for citation in payload["citations"]:
        if citation.get("material_id") and citation.get("chunk_id"):
            citation["href"] = _material_url(course, citation)
    return JsonResponse(payload)


@login_required
@require_GET
def tutor_traces(request, course_id: int):
    course = _managed_course(request, course_id)
    page = Paginator(selectors.tutor_turn_list(course), TRACES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "ai/tutor_traces.html", {"course": course, "page": page})


@login_required
@require_GET
def tutor_trace(request, course_id: int, turn_id: int):
    course = _managed_course(request, course_id)
    turn = selectors.tutor_turn_get(course, turn_id)
    if turn is None:
        raise Http404("No such tutor question in this course.")
    _with_links(course, turn)
    cited = {c.get("chunk_id"): c.get("n") for c in turn.citations or []}
    retrieved = []
    for rank, hit in enumerate(turn.retrieved or [], start=1):
        retrieved.append(
            {
                **hit,
                "rank": rank,
                "cited_as": cited.get(hit.get("chunk_id")),
                "href": _material_url(course, hit) if hit.get("material_id") else "",
            }
        )
    return render(
        request,
        "ai/tutor_trace.html",
        {"course": course, "turn": turn, "retrieved": retrieved},
    )
