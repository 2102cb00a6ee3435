"""Monthly AI budgets per school: generated questions and tutor questions.

The platform operator sets the limits per plan (tenants.Plan; 0 = unlimited), schools without a
plan get the settings' defaults. Usage is counted per calendar month in UTC, in the public schema
(tenants.AIUsage), so it survives anything a school's schema goes through.

``ai_usage_reserve`` is the only way to spend: it checks and counts in one locked update, so two
requests racing for the last questions of the month cannot both get them. A job that made fewer
questions than it reserved gives the rest back with ``ai_usage_release``."""

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from smartedu.db import current_schema
from smartedu.errors import DomainError
from smartedu.metrics import ai_tokens_count

from .models import AIUsage, School

GENERATED_QUESTIONS = "generated_questions"
TUTOR_QUESTIONS = "tutor_questions"
_WHAT = {
    GENERATED_QUESTIONS: ("generated questions", "AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS"),
    TUTOR_QUESTIONS: ("tutor questions", "AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS"),
}


class QuotaExceeded(DomainError):
    """The school's monthly AI budget does not cover this. ``message`` says how much is used,
    what was asked and when the budget resets (``resets_at``, UTC)."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "quota_exceeded": (
            429,
            "The school's monthly AI budget does not cover this; `resets_at` (also "
            "`Retry-After`, in seconds) says when it resets, `limit` and `used` how much is spent.",
        ),
    }

    def __init__(self, message: str, *, resets_at: dt.datetime, limit: int, used: int) -> None:
        super().__init__(
            message,
            resets_at=resets_at.isoformat().replace("+00:00", "Z"),
            limit=limit,
            used=used,
        )
        self.resets_at = resets_at
        self.limit = limit
        self.used = used

    def headers(self) -> dict[str, str]:
        # Seconds until the budget resets: what HTTP clients wait on a 429.
        wait = (self.resets_at - timezone.now()).total_seconds()
        return {"Retry-After": str(max(1, math.ceil(wait)))}


@dataclass(frozen=True)
class Budget:
    kind: str
    limit: int  # 0: unlimited
    used: int
    resets_at: dt.datetime

    @property
    def remaining(self) -> int | None:
        return None if not self.limit else max(0, self.limit - self.used)


def month_start(now: dt.datetime | None = None) -> dt.date:
    now = (now or timezone.now()).astimezone(dt.UTC)
    return now.date().replace(day=1)


def next_reset(now: dt.datetime | None = None) -> dt.datetime:
    first = month_start(now)
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


def current_school() -> School:
    return School.objects.select_related("plan").get(schema_name=current_schema())


def monthly_limit(school: School, kind: str) -> int:
    """The school's monthly limit of ``kind``: its plan's, else the settings' default (0:
    unlimited)."""
    if school.plan is not None:
        return getattr(school.plan, f"monthly_{kind}")
    return int(getattr(settings, _WHAT[kind][1]))


def _usage_row(school: School, month: dt.date) -> AIUsage:
    try:
        with transaction.atomic():
            usage, _ = AIUsage.objects.get_or_create(school=school, month=month)
    except IntegrityError:  # created by a racing request a moment ago
        usage = AIUsage.objects.get(school=school, month=month)
    return usage


def ai_budget(kind: str, *, school: School | None = None) -> Budget:
    """This month's limit and use of ``kind`` for ``school`` (default: the current one)."""
    school = school or current_school()
    usage = AIUsage.objects.filter(school=school, month=month_start()).first()
    used = getattr(usage, kind) if usage else 0
    return Budget(kind, monthly_limit(school, kind), used, next_reset())


def _exceeded(kind: str, *, limit: int, used: int, amount: int) -> QuotaExceeded:
    what = _WHAT[kind][0]
    resets_at = next_reset()
    left = max(0, limit - used)
    when = f"{resets_at:%-d %B %Y} (UTC)"
    if left:
        message = (
            f"Your school has {left} of its {limit} {what} left this month and this needs "
            f"{amount}. Ask for at most {left}, or wait until the budget resets on {when}."
        )
    else:
        message = (
            f"Your school has used all {limit} {what} of this month's AI budget. It resets on "
            f"{when}; a school admin can ask the platform operator for a larger plan."
        )
    return QuotaExceeded(message, resets_at=resets_at, limit=limit, used=used)


def _check(kind: str, amount: int) -> None:
    if kind not in _WHAT:
        raise ValueError(f"unknown AI budget {kind!r}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        # A negative reservation would be a refund that skips the lock and the floor at zero.
        raise ValueError(f"an AI budget amount is a whole number from 1 ({amount!r} given)")


def ai_usage_reserve(kind: str, amount: int = 1, *, school: School | None = None) -> Budget:
    """Count ``amount`` of ``kind`` against this month's budget, or raise QuotaExceeded and
    count nothing."""
    _check(kind, amount)
    school = school or current_school()
    limit = monthly_limit(school, kind)
    month = month_start()
    row = _usage_row(school, month)
    with transaction.atomic():
        usage = AIUsage.objects.select_for_update().get(pk=row.pk)
        used = getattr(usage, kind)
        if limit and used + amount > limit:
            raise _exceeded(kind, limit=limit, used=used, amount=amount)
        AIUsage.objects.filter(pk=row.pk).update(**{kind: F(kind) + amount})
    return Budget(kind, limit, used + amount, next_reset())


def ai_usage_release(
    kind: str, amount: int, *, school: School | None = None, month: dt.date | None = None
) -> None:
    """Give back ``amount`` reserved but not used (never below zero). ``month``: the month it
    was reserved in (``month_start(job.created_at)``), so that a job started on the 31st and
    finished on the 1st refunds the month it was counted in; default: this month."""
    if amount <= 0:
        return
    _check(kind, amount)
    school = school or current_school()
    row = _usage_row(school, month or month_start())
    with transaction.atomic():
        usage = AIUsage.objects.select_for_update().get(pk=row.pk)
        setattr(usage, kind, max(0, getattr(usage, kind) - amount))
        usage.save(update_fields=[kind])


def ai_tokens_record(prompt_tokens: int, completion_tokens: int, *, school=None) -> None:
    """Add a provider call's token usage to the school's month (for the operator's bill)."""
    if not prompt_tokens and not completion_tokens:
        return
    school = school or current_school()
    row = _usage_row(school, month_start())
    AIUsage.objects.filter(pk=row.pk).update(
        prompt_tokens=F("prompt_tokens") + max(0, prompt_tokens),
        completion_tokens=F("completion_tokens") + max(0, completion_tokens),
    )
    ai_tokens_count(school.schema_name, prompt_tokens, completion_tokens)
