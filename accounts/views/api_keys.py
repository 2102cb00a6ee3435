"""The school admin's API keys page. Keys live in the public schema, so every read and write
names the school explicitly (``request.tenant``): one school never sees another's keys."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tenants import selectors, services
from tenants.models import SchoolAPIKey

from ..decorators import admin_required
from ..forms import APIKeyCreateForm, add_service_errors


@admin_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    form = APIKeyCreateForm(request.POST or None)
    new_key = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            new_key, secret = services.api_key_create(
                school=request.tenant,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                created_by=request.user.username,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = APIKeyCreateForm()
    response = render(
        request,
        "accounts/api_keys.html",
        {
            "form": form,
            "keys": selectors.api_key_list(school=request.tenant),
            "new_key": new_key,
            "secret": secret,
        },
    )
    if secret:
        # The secret is in this response only: never keep it in a cache or the back/forward store.
        response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, prefix: str):
    api_key = selectors.api_key_list(school=request.tenant).filter(prefix=prefix).first()
    if api_key is None:
        raise Http404("No such API key in this school.")
    if request.method == "POST":
        try:
            services.api_key_revoke(school=request.tenant, prefix=prefix)
        except SchoolAPIKey.DoesNotExist as exc:
            raise Http404("No such API key in this school.") from exc
        messages.success(
            request, f"The key “{api_key.name}” was revoked; requests using it now fail."
        )
        return redirect("school:api_keys")
    return render(
        request,
        "confirm.html",
        {
            "title": f"Revoke the API key “{api_key.name}”?",
            "question": "Every system using this key loses access at once. This cannot be undone; "
            "you would create a new key instead.",
            "button": "Revoke key",
            "danger": True,
            "cancel_url": reverse("school:api_keys"),
        },
    )
