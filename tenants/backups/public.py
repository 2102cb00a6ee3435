"""The school's rows in the public schema (school, plan, domains, API keys, AI usage, AI provider
choices and the school's own endpoint): as JSON for an archive, and back onto a restored school.

The own endpoint's key never travels (an archive is no place for a live secret): a restored
school's admin types it again."""

from typing import Any

from tenants.models import (
    AIModelUsage,
    AIProvider,
    AIProviderChoice,
    AIUsage,
    Domain,
    Plan,
    School,
    SchoolAPIKey,
)


def public_rows(school: School, *, with_api_keys: bool = True) -> dict[str, Any]:
    public: dict[str, Any] = {
        "school": {
            "schema_name": school.schema_name,
            "name": school.name,
            "is_suspended": school.is_suspended,
            "suspended_reason": school.suspended_reason,
            "suspended_at": school.suspended_at.isoformat() if school.suspended_at else None,
            "created_at": school.created_at.isoformat(),
            "plan": (
                {
                    "name": school.plan.name,
                    "monthly_generated_questions": school.plan.monthly_generated_questions,
                    "monthly_tutor_questions": school.plan.monthly_tutor_questions,
                    "monthly_ai_spend_limit": str(school.plan.monthly_ai_spend_limit),
                }
                if school.plan
                else None
            ),
        },
        "domains": [
            {"domain": d.domain, "is_primary": d.is_primary}
            for d in Domain.objects.filter(tenant=school).order_by("domain")
        ],
        "ai_usage": [
            {
                "month": u.month.isoformat(),
                "generated_questions": u.generated_questions,
                "tutor_questions": u.tutor_questions,
                "prompt_tokens": u.prompt_tokens,
                "completion_tokens": u.completion_tokens,
            }
            for u in AIUsage.objects.filter(school=school).order_by("month")
        ],
        "ai_model_usage": [
            {
                "month": u.month.isoformat(),
                "provider": u.provider,
                "model": u.model,
                "prompt_tokens": u.prompt_tokens,
                "completion_tokens": u.completion_tokens,
                "cost": str(u.cost),
            }
            for u in AIModelUsage.objects.filter(school=school).order_by(
                "month", "provider", "model"
            )
        ],
        "ai_own_endpoint": [
            {"name": p.name, "base_url": p.base_url, "model": p.model}
            for p in AIProvider.objects.filter(school=school)
        ],
        # Steps name their provider: "own" (the school's endpoint), an operator provider's name,
        # or None (the platform default).
        "ai_provider_choices": [
            {
                "task": c.task,
                "position": c.position,
                "provider": (
                    None
                    if c.provider is None
                    else "own"
                    if c.provider.school_id is not None
                    else c.provider.name
                ),
            }
            for c in AIProviderChoice.objects.filter(school=school).select_related("provider")
        ],
    }
    if with_api_keys:
        # Keys are stored hashed; the hash travels so a restored school's partners keep working.
        public["api_keys"] = [
            {
                "id": k.id,
                "prefix": k.prefix,
                "hashed_key": k.hashed_key,
                "name": k.name,
                "revoked": k.revoked,
                "expiry_date": k.expiry_date.isoformat() if k.expiry_date else None,
                "created": k.created.isoformat(),
                "scope": k.scope,
                "created_by": k.created_by,
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
            }
            for k in SchoolAPIKey.objects.filter(school=school).order_by("created")
        ]
    return public


def public_rows_restore(school: School, public: dict[str, Any], *, carry_api_keys: bool) -> int:
    from datetime import date, datetime

    saved = public["school"]
    plan = saved.get("plan")
    if plan:
        school.plan, _ = Plan.objects.get_or_create(
            name=plan["name"],
            defaults={
                "monthly_generated_questions": plan["monthly_generated_questions"],
                "monthly_tutor_questions": plan["monthly_tutor_questions"],
                # Archives from before the cap existed have none.
                "monthly_ai_spend_limit": plan.get("monthly_ai_spend_limit", "0"),
            },
        )
    school.is_suspended = saved["is_suspended"]
    school.suspended_reason = saved["suspended_reason"]
    school.suspended_at = (
        datetime.fromisoformat(saved["suspended_at"]) if saved["suspended_at"] else None
    )
    school.save(update_fields=["plan", "is_suspended", "suspended_reason", "suspended_at"])
    for usage in public["ai_usage"]:
        AIUsage.objects.create(
            school=school, **{**usage, "month": date.fromisoformat(usage["month"])}
        )
    _ai_providers_restore(school, public)
    if not carry_api_keys:
        return 0
    for key in public.get("api_keys", []):
        SchoolAPIKey.objects.create(
            school=school,
            **{
                **key,
                "expiry_date": (
                    datetime.fromisoformat(key["expiry_date"]) if key["expiry_date"] else None
                ),
                "created": datetime.fromisoformat(key["created"]),
                "last_used_at": (
                    datetime.fromisoformat(key["last_used_at"]) if key["last_used_at"] else None
                ),
            },
        )
    return len(public.get("api_keys", []))


def _ai_providers_restore(school: School, public: dict[str, Any]) -> None:
    from datetime import date
    from decimal import Decimal

    for usage in public.get("ai_model_usage", []):
        month, cost = date.fromisoformat(usage["month"]), Decimal(usage["cost"])
        AIModelUsage.objects.create(school=school, **{**usage, "month": month, "cost": cost})
    own = None
    for endpoint in public.get("ai_own_endpoint", []):
        own = AIProvider.objects.create(school=school, **endpoint)
    offered = {p.name: p for p in AIProvider.objects.filter(school__isnull=True)}
    for choice in public.get("ai_provider_choices", []):
        name = choice["provider"]
        provider = own if name == "own" else offered.get(name) if name else None
        if name and provider is None:
            continue  # the operator no longer offers it: the step is dropped
        AIProviderChoice.objects.create(
            school=school, task=choice["task"], position=choice["position"], provider=provider
        )
