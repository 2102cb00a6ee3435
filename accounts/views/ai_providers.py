"""The school admin's AI page: this month's budget and what each provider and model cost, the
fallback order per task, and the school's own endpoint. Everything lives in the public schema,
so every read and write names the school (``request.tenant``); the stored key never reaches a
page."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tenants import ai_providers, quotas
from tenants.models import AIProvider, AITask, School

from ..decorators import admin_required
from ..forms import OwnEndpointForm, ProviderOrderForm, add_service_errors

DEFAULT = "default"


def _option_label(provider: AIProvider) -> str:
    if provider.school_id is not None:
        return f"{provider.name} — {provider.model} (your own endpoint, billed by its provider)"
    price_in = format(provider.price_input_per_million.normalize(), "f")
    price_out = format(provider.price_output_per_million.normalize(), "f")
    return (
        f"{provider.name} — {provider.model} ({price_in} in / {price_out} out per 1M tokens, "
        f"{settings.AI_PRICE_CURRENCY})"
    )


def _order_form(school: School, data=None) -> ProviderOrderForm:
    default = ai_providers.chat_chain(None, AITask.TUTOR)
    tasks = []
    for task, label in AITask.choices:
        options = []
        if default:
            options.append((DEFAULT, f"{ai_providers.DEFAULT_LABEL} — {default[0].model}"))
        usable = ai_providers.usable_providers(school, task)
        options += [(str(p.pk), _option_label(p)) for p in usable]
        chosen = ai_providers.chosen_order(school, task)
        saved = [DEFAULT if p is None else str(p.pk) for p in chosen]
        tasks.append((task, str(label), options, saved))
    return ProviderOrderForm(data, tasks=tasks)


@admin_required
@require_http_methods(["GET", "POST"])
def ai_page(request):
    school: School = request.tenant
    action = request.POST.get("action") if request.method == "POST" else None
    endpoint = ai_providers.own_endpoint(school)
    order_form = _order_form(school, request.POST if action == "order" else None)
    endpoint_form = OwnEndpointForm(
        request.POST if action == "endpoint" else None,
        initial={"name": endpoint.name, "base_url": endpoint.base_url, "model": endpoint.model}
        if endpoint
        else None,
    )
    if action == "order":
        if order_form.is_valid():
            try:
                for task in AITask.values:
                    ai_providers.order_set(
                        school=school, task=task, provider_ids=order_form.order(task)
                    )
            except ValidationError as exc:
                add_service_errors(order_form, exc)
            else:
                messages.success(request, "The provider order was saved; it applies at once.")
                return redirect("school:ai")
    elif action == "endpoint":
        if endpoint_form.is_valid():
            try:
                ai_providers.own_endpoint_save(school=school, **endpoint_form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(endpoint_form, exc)
            else:
                messages.success(
                    request,
                    "Your endpoint was saved. Put it in a task's order above to use it.",
                )
                return redirect("school:ai")
    elif action == "test":
        if endpoint is None:
            raise Http404("This school has no endpoint of its own.")
        ok, sentence = ai_providers.endpoint_test(endpoint)
        (messages.success if ok else messages.error)(request, sentence)
        return redirect("school:ai")
    elif action is not None:
        return HttpResponseBadRequest("Unknown action.")
    costs, total = ai_providers.month_costs(school)
    response = render(
        request,
        "accounts/ai_providers.html",
        {
            "budgets": [
                quotas.ai_budget(quotas.TUTOR_QUESTIONS, school=school),
                quotas.ai_budget(quotas.GENERATED_QUESTIONS, school=school),
            ],
            "plan": school.plan,
            "costs": costs,
            "total": total,
            "spend_cap": ai_providers.spend_cap(school),
            "currency": settings.AI_PRICE_CURRENCY,
            "order_form": order_form,
            "endpoint": endpoint,
            "endpoint_form": endpoint_form,
        },
    )
    # The page may carry a key just typed into a form with an error: keep it out of caches.
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def endpoint_remove(request):
    school: School = request.tenant
    if ai_providers.own_endpoint(school) is None:
        raise Http404("This school has no endpoint of its own.")
    if request.method == "POST":
        ai_providers.own_endpoint_remove(school=school)
        messages.success(
            request, "Your endpoint and its key were deleted; tasks that used it skip it now."
        )
        return redirect("school:ai")
    return render(
        request,
        "confirm.html",
        {
            "title": "Delete your own AI endpoint?",
            "question": "Its key is deleted with it. Tasks that named it go on with the next "
            "provider in their order, and finally the built-in offline engine.",
            "button": "Delete endpoint",
            "danger": True,
            "cancel_url": reverse("school:ai"),
        },
    )
