"""Which chat provider serves a school's tutor and quiz generation, and what it cost.

A school's fallback order per task lives in the public schema (AIProviderChoice), next to the
providers the operator offers and the school's own endpoint (AIProvider). ``chat_chain`` turns
it into plain configurations for ai.llm to build clients from; a school without a choice gets
the environment's provider, as before. Every read and write names the school: a school's own
endpoint is only ever in that school's chain.

Token use is recorded per provider and model with its cost at the price of the moment
(AIModelUsage), for the school admin's AI page."""

import datetime as dt
import ipaddress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from .models import AIModelUsage, AIProvider, AIProviderChoice, AITask, School
from .quotas import month_start

DEFAULT_LABEL = "Platform default"
OFFLINE_LABEL = "Built-in offline engine"
# A fallback order has at most this many steps before the offline engine.
MAX_STEPS = 3
MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class ChainLink:
    """One provider a task may try: everything needed to build its client, and its price."""

    label: str
    model: str
    base_url: str | None
    api_key: str
    price_input_per_million: Decimal
    price_output_per_million: Decimal
    # Where a rejected key is fixed, for the error message.
    key_hint: str = "OPENAI_API_KEY"
    # The environment's provider (it keeps its name and circuit breaker as before).
    is_default: bool = False


def _default_link() -> ChainLink | None:
    mode = settings.LLM_PROVIDER
    if mode == "offline" or (mode == "auto" and not settings.OPENAI_API_KEY):
        return None
    return ChainLink(
        label=DEFAULT_LABEL,
        model=settings.LLM_MODEL,
        base_url=settings.OPENAI_BASE_URL,
        api_key=settings.OPENAI_API_KEY,
        price_input_per_million=Decimal(str(settings.LLM_PRICE_INPUT_PER_MILLION)),
        price_output_per_million=Decimal(str(settings.LLM_PRICE_OUTPUT_PER_MILLION)),
        is_default=True,
    )


def _link(provider: AIProvider) -> ChainLink:
    own = provider.school_id is not None
    return ChainLink(
        label=provider.name,
        model=provider.model,
        base_url=provider.base_url,
        api_key=provider.api_key or "",
        # A school's own endpoint bills the school's own account, not the platform.
        price_input_per_million=Decimal(0) if own else provider.price_input_per_million,
        price_output_per_million=Decimal(0) if own else provider.price_output_per_million,
        key_hint=(
            "the school's own endpoint key (School → AI providers)"
            if own
            else f"the key of the AI provider “{provider.name}” (platform admin)"
        ),
    )


def usable_providers(school: School, task: str) -> QuerySet[AIProvider]:
    """What ``school`` may put in its order for ``task``: the operator's enabled providers
    that serve it, and the school's own endpoint."""
    return AIProvider.objects.filter(
        Q(school__isnull=True, tasks__contains=[task]) | Q(school=school), enabled=True
    ).order_by(F("school").asc(nulls_first=True), "name")


def chosen_order(school: School, task: str) -> list[AIProvider | None]:
    """The school's order for ``task`` as saved (None: the platform default); empty when the
    school has not chosen."""
    steps = AIProviderChoice.objects.filter(school=school, task=task).select_related("provider")
    return [step.provider for step in steps.order_by("position")]


def chat_chain(school: School | None, task: str) -> list[ChainLink]:
    """The providers ``task`` tries for ``school``, in order, before the offline engine. A step
    whose provider was disabled or withdrawn from the task since is skipped."""
    if school is None:
        default = _default_link()
        return [default] if default else []
    order = chosen_order(school, task)
    if not order:
        default = _default_link()
        return _within_spend_cap(school, [default] if default else [])
    allowed = set(usable_providers(school, task).values_list("pk", flat=True))
    links: list[ChainLink] = []
    for provider in order:
        if provider is None:
            default = _default_link()
            if default:
                links.append(default)
        elif provider.pk in allowed and provider.school_id in (None, school.pk):
            links.append(_link(provider))
    return _within_spend_cap(school, links)


def _priced(link: ChainLink) -> bool:
    return bool(link.price_input_per_million or link.price_output_per_million)


def spend_cap(school: School) -> Decimal:
    """The school's monthly cap on priced providers (0: none)."""
    plan = school.plan
    return plan.monthly_ai_spend_limit if plan is not None else Decimal(0)


def month_spent(school: School, month: dt.date | None = None) -> Decimal:
    total = AIModelUsage.objects.filter(school=school, month=month or month_start()).aggregate(
        total=Sum("cost")
    )["total"]
    return total or Decimal(0)


def _within_spend_cap(school: School, links: list[ChainLink]) -> list[ChainLink]:
    # Over the cap the priced providers drop out rather than the task failing: the school's own
    # endpoint, free providers and the offline engine still answer until the month resets.
    if not any(_priced(link) for link in links):
        return links
    cap = spend_cap(school)
    if not cap or month_spent(school) < cap:
        return links
    return [link for link in links if not _priced(link)]


# --- the school's own endpoint -------------------------------------------------------------------


def own_endpoint(school: School) -> AIProvider | None:
    return AIProvider.objects.filter(school=school).first()


def check_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, or ValidationError saying what is wrong with it."""
    base_url = base_url.strip()
    try:
        parts = urlsplit(base_url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed [ or a port that is not a number
        hostname = None
    if not hostname or parts.scheme not in ("http", "https"):
        raise ValidationError("Enter the endpoint's address starting with https:// (or http://).")
    if parts.username or parts.password:
        raise ValidationError(
            "Leave the user name and password out of the address; put the key in the API key field."
        )
    if parts.query or parts.fragment:
        raise ValidationError("Leave ?query and #fragment out of the address.")
    return base_url.rstrip("/")


def _check_host(base_url: str) -> None:
    # A school's endpoint is called from inside the platform's network: it must not be a way to
    # reach the platform's own private services.
    host = urlsplit(base_url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost") or host.endswith(".internal"):
            raise ValidationError("Use the endpoint's public address, not a local one.") from None
        return
    if not address.is_global:
        raise ValidationError("Use the endpoint's public address, not a local one.")


@transaction.atomic
def own_endpoint_save(
    *, school: School, name: str, base_url: str, model: str, api_key: str = ""
) -> AIProvider:
    """Create or change the school's own endpoint. An empty ``api_key`` keeps the stored one;
    a new one replaces it. Raises ValidationError with a sentence per field."""
    name, model, api_key = name.strip(), model.strip(), api_key.strip()
    errors: dict[str, str] = {}
    if not model:
        errors["model"] = "Name the model to use, e.g. gpt-4o-mini."
    try:
        base_url = check_base_url(base_url)
        if not settings.AI_OWN_ENDPOINTS_MAY_BE_LOCAL:
            _check_host(base_url)
    except ValidationError as exc:
        errors["base_url"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    endpoint = AIProvider.objects.select_for_update().filter(school=school).first()
    if endpoint is None:
        endpoint = AIProvider(school=school, tasks=list(AITask.values))
    endpoint.name = name or "Our own endpoint"
    endpoint.base_url = base_url
    endpoint.model = model
    if api_key:
        endpoint.api_key = api_key
        endpoint.api_key_set_at = timezone.now()
    endpoint.full_clean(exclude=["api_key", "tasks"])
    endpoint.save()
    return endpoint


def own_endpoint_remove(*, school: School) -> None:
    """Delete the school's own endpoint and its key; the steps that named it go with it."""
    AIProvider.objects.filter(school=school).delete()


def endpoint_test(endpoint: AIProvider) -> tuple[bool, str]:
    """Ask the endpoint for its models (``/models``) with a short timeout: whether it answered
    and knows the model, in a sentence for the school admin."""
    import openai

    client = openai.OpenAI(
        base_url=endpoint.base_url,
        # The client refuses to start without a key; local servers accept any.
        api_key=endpoint.api_key or "no-key-configured",
        timeout=float(settings.AI_ENDPOINT_TEST_TIMEOUT_SECONDS),
        max_retries=0,
    )
    try:
        models = [m.id for m in client.models.list()]
    except openai.AuthenticationError:
        return False, "The endpoint rejected the API key. Replace the key and try again."
    except openai.APITimeoutError:
        return False, (
            f"The endpoint did not answer within {settings.AI_ENDPOINT_TEST_TIMEOUT_SECONDS:g} s."
        )
    except openai.APIConnectionError:
        return False, f"Could not reach {endpoint.base_url}. Check the address."
    except openai.APIStatusError as exc:
        return False, f"The endpoint answered HTTP {exc.status_code} to a list of its models."
    except (openai.APIError, ValueError):
        return False, "The endpoint did not answer like an OpenAI-compatible API."
    if endpoint.model not in models:
        return False, (
            f"The endpoint answered but does not list the model “{endpoint.model}”"
            + (f" (it lists {', '.join(sorted(models)[:5])})." if models else ".")
        )
    return True, f"The endpoint answered and offers “{endpoint.model}”."


# --- the order per task ---------------------------------------------------------------------------


@transaction.atomic
def order_set(*, school: School, task: str, provider_ids: list[int | None]) -> None:
    """Save ``school``'s order for ``task`` (None: the platform default). Empty: back to the
    platform default. A provider the school may not use for the task is refused."""
    if task not in AITask.values:
        raise ValidationError(f"Unknown AI task {task!r}.")
    if len(provider_ids) > MAX_STEPS:
        raise ValidationError(f"Choose at most {MAX_STEPS} providers; offline comes last anyway.")
    seen: set[int | None] = set()
    for pid in provider_ids:
        if pid in seen:
            raise ValidationError("Each provider may appear once in the order.")
        seen.add(pid)
    allowed = {p.pk: p for p in usable_providers(school, task)}
    for pid in provider_ids:
        if pid is not None and pid not in allowed:
            raise ValidationError("That provider is not offered for this task.")
    AIProviderChoice.objects.filter(school=school, task=task).delete()
    AIProviderChoice.objects.bulk_create(
        AIProviderChoice(
            school=school,
            task=task,
            position=index,
            provider=allowed[pid] if pid is not None else None,
        )
        for index, pid in enumerate(provider_ids)
    )


# --- costs ----------------------------------------------------------------------------------------


def cost_of(link: ChainLink, prompt_tokens: int, completion_tokens: int) -> Decimal:
    return (
        Decimal(prompt_tokens) * link.price_input_per_million
        + Decimal(completion_tokens) * link.price_output_per_million
    ) / MILLION


def model_usage_record(
    *, school_id: int, link: ChainLink, model: str, prompt_tokens: int, completion_tokens: int
) -> None:
    """Add one answered call to the school's month for ``link``'s provider and ``model``."""
    prompt_tokens, completion_tokens = max(0, prompt_tokens), max(0, completion_tokens)
    if not prompt_tokens and not completion_tokens:
        return
    month = month_start()
    key: dict[str, Any] = {
        "school_id": school_id,
        "month": month,
        "provider": link.label[:100],
        "model": model,
    }
    try:
        with transaction.atomic():
            AIModelUsage.objects.get_or_create(**key)
    except IntegrityError:  # created by a racing call a moment ago
        pass
    AIModelUsage.objects.filter(**key).update(
        prompt_tokens=F("prompt_tokens") + prompt_tokens,
        completion_tokens=F("completion_tokens") + completion_tokens,
        cost=F("cost") + cost_of(link, prompt_tokens, completion_tokens),
    )


@dataclass(frozen=True)
class CostRow:
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal
    share: int  # percent of the month's cost, for the bar chart


def month_costs(school: School, month: dt.date | None = None) -> tuple[list[CostRow], Decimal]:
    """``school``'s tokens and cost per provider and model in ``month`` (default: this one),
    costliest first, and the total."""
    rows = list(
        AIModelUsage.objects.filter(school=school, month=month or month_start()).order_by(
            "-cost", "provider", "model"
        )
    )
    total = sum((row.cost for row in rows), Decimal(0))
    peak = max((row.cost for row in rows), default=Decimal(0))
    return [
        CostRow(
            row.provider,
            row.model,
            row.prompt_tokens,
            row.completion_tokens,
            row.cost,
            int(row.cost * 100 / peak) if peak else 0,
        )
        for row in rows
    ], total
