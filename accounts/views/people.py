"""People pages: sign-in flows, the admin's people and invitation pages, invitation accept.

Thin on purpose: every change goes through ``accounts.services``; reads through selectors."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .. import selectors, services
from ..decorators import admin_required
from ..forms import (
    InvitationAcceptForm,
    InvitationForm,
    PeopleFilterForm,
    PersonCreateForm,
    PersonForm,
    add_service_errors,
)

PEOPLE_PER_PAGE = 25


def _person_or_404(user_id: int):
    person = selectors.user_get(user_id)
    if person is None:
        raise Http404("No such person in this school.")
    return person


@admin_required
def people_list(request):
    filters = PeopleFilterForm(request.GET or None)
    role, search, status = "", "", "active"
    if filters.is_valid():
        role = filters.cleaned_data["role"]
        search = filters.cleaned_data["q"].strip()
        status = filters.cleaned_data["status"] or "active"
    is_active = {"active": True, "inactive": False}.get(status)  # "all" → either
    people = selectors.user_filter(role=role or None, search=search, is_active=is_active)
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/people_list.html",
        {"filters": filters, "page": page, "query": query.urlencode(), "status": status},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def person_create(request):
    form = PersonCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.user_create(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, password_field="password")
        else:
            messages.success(
                request, f"{person.display_name} was added as {person.get_role_display().lower()}."
            )
            return redirect("accounts:people")
    return render(request, "accounts/person_form.html", {"form": form, "person": None})


@admin_required
@require_http_methods(["GET", "POST"])
def person_edit(request, user_id: int):
    person = _person_or_404(user_id)
    initial = {name: getattr(person, name) or "" for name in PersonForm.base_fields}
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _, changed = services.user_update(person, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            person.refresh_from_db()
        else:
            if changed:
                messages.success(request, f"Saved the changes to {person.display_name}.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("accounts:people")
    return render(request, "accounts/person_form.html", {"form": form, "person": person})


def _confirm_person_action(request, person, *, action, title, question, button, danger):
    if request.method == "POST":
        try:
            action(person)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{person.display_name} is now {'active' if person.is_active else 'deactivated'}.",
            )
        return redirect("accounts:people")
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "question": question,
            "button": button,
            "danger": danger,
            "cancel_url": reverse("accounts:people"),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def person_deactivate(request, user_id: int):
    person = _person_or_404(user_id)
    return _confirm_person_action(
        request,
        person,
        action=services.user_deactivate,
        title=f"Deactivate {person.display_name}?",
        question="They will no longer be able to sign in. Nothing they made or answered is "
        "deleted, and you can reactivate them at any time.",
        button="Deactivate",
        danger=True,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def person_reactivate(request, user_id: int):
    person = _person_or_404(user_id)
    return _confirm_person_action(
        request,
        person,
        action=services.user_reactivate,
        title=f"Reactivate {person.display_name}?",
        question="They will be able to sign in again with their existing password.",
        button="Reactivate",
        danger=False,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def invitations(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email} as "
                f"{invitation.get_role_display().lower()}.",
            )
            return redirect("accounts:invitations")
    return render(
        request,
        "accounts/invitations.html",
        {"form": form, "invitations": selectors.invitation_list()},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request, invitation_id: int):
    invitation = selectors.invitation_get(invitation_id)
    if invitation is None:
        raise Http404("No such invitation.")
    if request.method == "POST":
        if invitation.status != "pending":
            messages.error(
                request,
                f"The invitation to {invitation.email} is {invitation.status}; "
                "only pending invitations can be revoked.",
            )
        else:
            services.invitation_revoke(invitation)
            messages.success(
                request,
                f"The invitation to {invitation.email} was revoked; its link no longer works.",
            )
        return redirect("accounts:invitations")
    return render(
        request,
        "confirm.html",
        {
            "title": f"Revoke the invitation to {invitation.email}?",
            "question": "The link in the e-mail will stop working. "
            "You can send a new invitation later.",
            "button": "Revoke invitation",
            "danger": True,
            "cancel_url": reverse("accounts:invitations"),
        },
    )


INVITATION_PROBLEMS = {
    "invalid": "This invitation link is not valid. "
    "Check that you copied the whole link from the e-mail.",
    "accepted": "This invitation has already been used. Sign in with the account you created.",
    "expired": "This invitation has expired. Ask your school's admin to send you a new one.",
    "revoked": "This invitation was withdrawn by your school. Ask your school's admin if you think "
    "this is a mistake.",
}


def _invitation_problem(request, exc: ValidationError):
    code = (exc.error_list[0].code if not hasattr(exc, "error_dict") else None) or "invalid"
    message = INVITATION_PROBLEMS.get(code, INVITATION_PROBLEMS["invalid"])
    return render(
        request,
        "accounts/invitation_invalid.html",
        {"message": message, "code": code},
        status=404 if code == "invalid" else 410,
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    try:
        invitation = services.invitation_get_pending(token)
    except ValidationError as exc:
        return _invitation_problem(request, exc)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict") and exc.error_list[0].code in INVITATION_PROBLEMS:
                return _invitation_problem(request, exc)
            add_service_errors(form, exc, password_field="password")
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {request.tenant.name}, {user.display_name}!")
            return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )
