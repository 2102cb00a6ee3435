"""Course pages, the role-aware home page and the admin's roster import.

Thin on purpose: who may see or change a course is ``courses.access``'s to say (always as the
asking person, so nobody sees a course they should not), reads go through ``courses.selectors``,
writes through ``courses.services``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.decorators import admin_required, role_required
from accounts.forms import add_service_errors
from accounts.models import User
from smartedu.errors import NotFound

from . import selectors, services
from .access import course_access
from .forms import CourseCreateForm, CourseEditForm, MemberAddForm, MemberRoleForm, RosterUploadForm
from .models import Enrollment, RosterImport

CHANGERS_ONLY = "Only the course's teachers and the school's admins can change it."


@login_required
def home(request):
    user = request.user
    context: dict[str, object] = {}
    if user.role == User.Role.ADMIN:
        context.update(
            people_counts=account_selectors.user_count_by_role(),
            course_count=selectors.course_list_for(user).count(),
            pending_invitations=account_selectors.invitation_pending_count(),
            recent_imports=selectors.roster_import_list()[:3],
        )
    else:
        context["courses"] = selectors.course_list_for(user)
    return render(request, "courses/home.html", context)


@login_required
def course_list(request):
    can_create = request.user.role in (User.Role.ADMIN, User.Role.TEACHER)
    show_archived = can_create and request.GET.get("archived") == "1"
    courses = selectors.course_list_for(request.user, include_archived=show_archived)
    return render(
        request,
        "courses/course_list.html",
        {"courses": courses, "can_create": can_create, "show_archived": show_archived},
    )


@role_required(User.Role.ADMIN, User.Role.TEACHER)
@require_http_methods(["GET", "POST"])
def course_create(request):
    form = CourseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Course {course.code} was created.")
            return redirect("courses:detail", course_id=course.pk)
    return render(request, "courses/course_form.html", {"form": form, "course": None})


@login_required
@require_GET
def course_detail(request, course_id: int):
    course = course_access(request.user, course_id)
    can_manage = selectors.can_manage_course(request.user, course)
    enrollments = list(selectors.course_enrollments(course))
    query = request.GET.get("q", "").strip() if can_manage else ""
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "can_manage": can_manage,
            "teachers": [e for e in enrollments if e.role == Enrollment.Role.TEACHER],
            "students": [e for e in enrollments if e.role == Enrollment.Role.STUDENT],
            "role_choices": Enrollment.Role.choices,
            "query": query,
            "candidates": selectors.course_member_candidates(course, query) if query else None,
        },
    )


@login_required
@require_GET
def course_member_search(request, course_id: int):
    """The add-people search results (an htmx partial of the course page)."""
    course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "courses/_member_candidates.html",
        {
            "course": course,
            "query": query,
            "candidates": selectors.course_member_candidates(course, query),
        },
    )


@login_required
@require_POST
def course_member_add(request, course_id: int):
    course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a person and whether they teach or take the course.")
        return redirect("courses:detail", course_id=course.pk)
    person = account_selectors.user_get_by_username(form.cleaned_data["username"])
    if person is None:
        messages.error(
            request, f"Nobody in this school has the username {form.cleaned_data['username']!r}."
        )
        return redirect("courses:detail", course_id=course.pk)
    try:
        _, created = services.enrollment_add(
            course=course, user=person, role=form.cleaned_data["role"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        verb = "now" if created else "already"
        messages.success(
            request,
            f"{person.display_name} is {verb} in {course.code} as {form.cleaned_data['role']}.",
        )
    return redirect("courses:detail", course_id=course.pk)


def _member_or_404(course, user_id: int):
    enrollment = selectors.course_enrollments(course).filter(user_id=user_id).first()
    if enrollment is None:
        raise NotFound("This person is not in the course.")
    return enrollment


@login_required
@require_POST
def course_member_role(request, course_id: int, user_id: int):
    course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
    enrollment = _member_or_404(course, user_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose teacher or student.")
        return redirect("courses:detail", course_id=course.pk)
    try:
        services.enrollment_add(course=course, user=enrollment.user, role=form.cleaned_data["role"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{enrollment.user.display_name} is now a {form.cleaned_data['role']} "
            f"of {course.code}.",
        )
    return redirect("courses:detail", course_id=course.pk)


@login_required
@require_http_methods(["GET", "POST"])
def course_member_remove(request, course_id: int, user_id: int):
    course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
    enrollment = _member_or_404(course, user_id)
    detail_url = reverse("courses:detail", kwargs={"course_id": course.pk})
    if request.method == "POST":
        services.enrollment_remove(course=course, user=enrollment.user)
        messages.success(request, f"{enrollment.user.display_name} was removed from {course.code}.")
        return redirect(detail_url)
    return render(
        request,
        "confirm.html",
        {
            "title": f"Remove {enrollment.user.display_name} from {course.code}?",
            "question": "They lose access to the course. Their account is not affected, and you "
            "can add them again later.",
            "button": "Remove from course",
            "danger": True,
            "cancel_url": detail_url,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request, course_id: int):
    course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
    form = CourseEditForm(
        request.POST or None, initial={"name": course.name, "description": course.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(course, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {course.code}.")
            return redirect("courses:detail", course_id=course.pk)
    return render(request, "courses/course_form.html", {"form": form, "course": course})


@login_required
@require_http_methods(["GET", "POST"])
def course_archive(request, course_id: int):
    """Archive or (``?restore``) bring back a course; confirmation first."""
    course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
    archive = not course.is_archived
    detail_url = reverse("courses:detail", kwargs={"course_id": course.pk})
    if request.method == "POST":
        services.course_update(course, is_archived=archive)
        messages.success(request, f"{course.code} was {'archived' if archive else 'restored'}.")
        return redirect(detail_url)
    if archive:
        title, question, button = (
            f"Archive {course.code}?",
            "It disappears from everyone's course lists, but nothing is deleted; "
            "you can restore it.",
            "Archive course",
        )
    else:
        title, question, button = (
            f"Restore {course.code}?",
            "It shows up in course lists again.",
            "Restore course",
        )
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "question": question,
            "button": button,
            "danger": archive,
            "cancel_url": detail_url,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def roster_imports(request):
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            roster_import = services.roster_import_create(
                filename=upload.name, content=upload.read(), created_by=request.user
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("courses:roster_import", roster_import_id=roster_import.pk)
    return render(
        request,
        "courses/roster_imports.html",
        {"form": form, "imports": selectors.roster_import_list()[:20]},
    )


def _roster_import_or_404(roster_import_id: int) -> RosterImport:
    roster_import = selectors.roster_import_get(roster_import_id)
    if roster_import is None:
        raise NotFound("No such roster import.")
    return roster_import


@admin_required
@require_GET
def roster_import_detail(request, roster_import_id: int):
    roster_import = _roster_import_or_404(roster_import_id)
    return render(request, "courses/roster_import.html", {"roster_import": roster_import})


@admin_required
@require_GET
def roster_import_panel(request, roster_import_id: int):
    """The import's state and, once done, its report: what the live page swaps in."""
    roster_import = _roster_import_or_404(roster_import_id)
    return render(request, "courses/_roster_import_panel.html", {"roster_import": roster_import})
