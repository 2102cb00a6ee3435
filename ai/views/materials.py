"""The material pages: upload and live ingestion, the list, one row, retry, delete and the
extracted-text viewer."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import selectors as course_selectors
from courses import services as course_services
from courses.access import course_access, material_access
from courses.models import Course, Material
from courses.sniffing.rejection import MaterialRejected

from .. import selectors
from ..forms import MaterialUploadForm

CHUNKS_PER_PAGE = 25
UPLOADERS_ONLY = "Only the course's teachers and the school's admins upload."


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


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
    posted = request.method == "POST"
    course = course_access(request.user, course_id, manage=posted, denied=UPLOADERS_ONLY)
    # Whoever got a post through may manage the course; others are asked.
    can_manage = posted or course_selectors.can_manage_course(request.user, course)
    form: MaterialUploadForm | None = None
    results: list[UploadResult] = []
    errors: list[str] = []  # the form's own, for a post it refused
    status = 200
    if can_manage:
        form = MaterialUploadForm(request.POST, request.FILES) if posted else MaterialUploadForm()
    if posted:
        assert form is not None  # whoever got a post through manages the course
        if form.is_valid():
            results = _upload(request, course, form.cleaned_data["files"])
            if all(result.outcome == "rejected" for result in results):
                status = 400
            form = MaterialUploadForm()
        else:
            # ErrorList yields its messages as strings; its stub says ValidationErrors too.
            errors = [str(message) for message in form.errors.get("files", [])]
            status = 400
    context = {**_material_context(request, course, can_manage), "form": form, "results": results}
    if posted and _wants_json(request):
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
                "errors": errors,
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
    course = course_access(request.user, course_id, manage=True)
    material = material_access(request.user, material_id, course=course, manage=True)
    return render(
        request,
        "ai/_material_row.html",
        {"course": course, "can_manage": True, "row": _rows([material])[0]},
    )


@login_required
@require_POST
def material_retry(request, course_id: int, material_id: int):
    course = course_access(request.user, course_id, manage=True)
    material = material_access(request.user, material_id, course=course, manage=True)
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
    course = course_access(request.user, course_id, manage=True)
    material = material_access(request.user, material_id, course=course, manage=True)
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
    course = course_access(request.user, course_id)
    can_manage = course_selectors.can_manage_course(request.user, course)
    material = material_access(request.user, material_id, course=course)
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
