"""Monthly AI budgets (tenants.quotas), on their own: a reservation within the budget counts, one
beyond it is refused naming the limit and the reset date (the first of next month, UTC) and
counts nothing; the plan's limits override the defaults, 0 is unlimited; months and schools are
counted apart; racing reservations for the last units get exactly what is left."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import AIUsage, Plan, School
from tenants.quotas import (
    GENERATED_QUESTIONS,
    TUTOR_QUESTIONS,
    QuotaExceeded,
    ai_budget,
    ai_tokens_record,
    ai_usage_release,
    ai_usage_reserve,
    month_start,
    next_reset,
)

RESETS = f"{next_reset():%-d %B %Y} (UTC)"


@pytest.fixture
def limits(settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 10
    settings.AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = 3


def fresh(school) -> School:
    """The school's row as a request would load it (tests must not change the shared persona)."""
    return School.objects.select_related("plan").get(pk=school.model.pk)


def used(school, kind: str = GENERATED_QUESTIONS, month: dt.date | None = None) -> int:
    row = AIUsage.objects.filter(school_id=school.model.pk, month=month or month_start()).first()
    return getattr(row, kind) if row else 0


def last_month() -> dt.date:
    return (month_start() - dt.timedelta(days=1)).replace(day=1)


def test_reservations_within_the_budget_are_counted(school_a, limits):
    first = ai_usage_reserve(GENERATED_QUESTIONS, 3, school=fresh(school_a))
    second = ai_usage_reserve(GENERATED_QUESTIONS, 7, school=fresh(school_a))
    assert (first.used, first.remaining, second.used, second.remaining) == (3, 7, 10, 0)
    assert used(school_a) == 10
    assert used(school_a, TUTOR_QUESTIONS) == 0
    budget = ai_budget(GENERATED_QUESTIONS, school=fresh(school_a))
    assert (budget.limit, budget.used, budget.remaining, budget.resets_at) == (
        10,
        10,
        0,
        next_reset(),
    )


def test_the_current_school_is_the_one_whose_schema_is_in_use(school_a, school_b, limits):
    with schema_context(school_a.schema):
        ai_usage_reserve(TUTOR_QUESTIONS)
    with schema_context(school_b.schema):
        ai_usage_reserve(TUTOR_QUESTIONS, 2)
        assert ai_budget(TUTOR_QUESTIONS).used == 2
    assert (used(school_a, TUTOR_QUESTIONS), used(school_b, TUTOR_QUESTIONS)) == (1, 2)


def test_asking_for_more_than_is_left_is_refused_with_the_limit_and_reset_date(school_a, limits):
    ai_usage_reserve(GENERATED_QUESTIONS, 7, school=fresh(school_a))
    with pytest.raises(QuotaExceeded) as caught:
        ai_usage_reserve(GENERATED_QUESTIONS, 4, school=fresh(school_a))
    assert caught.value.message == (
        "Your school has 3 of its 10 generated questions left this month and this needs 4. "
        f"Ask for at most 3, or wait until the budget resets on {RESETS}."
    )
    assert (caught.value.limit, caught.value.used, caught.value.code) == (10, 7, "quota_exceeded")
    assert caught.value.resets_at == next_reset()
    assert used(school_a) == 7


def test_a_spent_budget_says_so_and_counts_nothing(school_a, limits):
    for _ in range(3):
        ai_usage_reserve(TUTOR_QUESTIONS, school=fresh(school_a))
    with pytest.raises(QuotaExceeded) as caught:
        ai_usage_reserve(TUTOR_QUESTIONS, school=fresh(school_a))
    assert caught.value.message == (
        "Your school has used all 3 tutor questions of this month's AI budget. It resets on "
        f"{RESETS}; a school admin can ask the platform operator for a larger plan."
    )
    assert used(school_a, TUTOR_QUESTIONS) == 3


@pytest.mark.parametrize(
    ("now", "month", "resets"),
    [
        (dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC), dt.date(2026, 12, 1), (2027, 1, 1)),
        (dt.datetime(2027, 1, 1, 0, 0, tzinfo=dt.UTC), dt.date(2027, 1, 1), (2027, 2, 1)),
        (dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC), dt.date(2028, 2, 1), (2028, 3, 1)),
        # 00:30 on 1 March in Athens is still February in UTC.
        (
            dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.date(2026, 2, 1),
            (2026, 3, 1),
        ),
    ],
)
def test_budgets_reset_on_the_first_of_next_month_in_utc(now, month, resets):
    assert month_start(now) == month
    assert next_reset(now) == dt.datetime(*resets, tzinfo=dt.UTC)


def test_the_plan_overrides_the_defaults(school_a, limits):
    plan = Plan.objects.create(
        name="Small", monthly_generated_questions=2, monthly_tutor_questions=50
    )
    school = fresh(school_a)
    school.plan = plan
    school.save(update_fields=["plan"])
    ai_usage_reserve(GENERATED_QUESTIONS, 2, school=fresh(school_a))
    with pytest.raises(QuotaExceeded, match="all 2 generated questions"):
        ai_usage_reserve(GENERATED_QUESTIONS, school=fresh(school_a))
    ai_usage_reserve(TUTOR_QUESTIONS, 50, school=fresh(school_a))  # above the default of 3
    assert (used(school_a), used(school_a, TUTOR_QUESTIONS)) == (2, 50)


def test_zero_means_unlimited_in_a_plan_and_in_the_defaults(school_a, school_b, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 0
    settings.AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = 1
    school = fresh(school_a)
    school.plan = Plan.objects.create(name="Unlimited", monthly_tutor_questions=0)
    school.save(update_fields=["plan"])
    for _ in range(3):
        ai_usage_reserve(TUTOR_QUESTIONS, 1000, school=fresh(school_a))
    budget = ai_usage_reserve(GENERATED_QUESTIONS, 5000, school=fresh(school_b))
    assert (budget.limit, budget.remaining) == (0, None)
    assert (used(school_a, TUTOR_QUESTIONS), used(school_b)) == (3000, 5000)


def test_release_gives_back_but_never_below_zero(school_a, limits):
    ai_usage_reserve(GENERATED_QUESTIONS, 6, school=fresh(school_a))
    ai_usage_release(GENERATED_QUESTIONS, 4, school=fresh(school_a))
    assert used(school_a) == 2
    ai_usage_release(GENERATED_QUESTIONS, 5, school=fresh(school_a))
    assert used(school_a) == 0
    ai_usage_release(GENERATED_QUESTIONS, 0, school=fresh(school_a))
    ai_usage_release(GENERATED_QUESTIONS, -3, school=fresh(school_a))
    assert used(school_a) == 0
    ai_usage_reserve(GENERATED_QUESTIONS, 10, school=fresh(school_a))  # the whole budget again


def test_last_months_use_does_not_count_this_month(school_a, limits):
    AIUsage.objects.create(
        school=school_a.model, month=last_month(), generated_questions=10, tutor_questions=3
    )
    assert ai_budget(GENERATED_QUESTIONS, school=fresh(school_a)).used == 0
    ai_usage_reserve(GENERATED_QUESTIONS, 10, school=fresh(school_a))
    ai_usage_reserve(TUTOR_QUESTIONS, 3, school=fresh(school_a))
    assert used(school_a, month=last_month()) == 10
    assert used(school_a) == 10


def test_a_release_for_last_month_refunds_last_month(school_a, limits):
    AIUsage.objects.create(school=school_a.model, month=last_month(), generated_questions=8)
    ai_usage_reserve(GENERATED_QUESTIONS, 5, school=fresh(school_a))
    ai_usage_release(GENERATED_QUESTIONS, 3, school=fresh(school_a), month=last_month())
    assert (used(school_a, month=last_month()), used(school_a)) == (5, 5)


def test_two_schools_budgets_are_their_own(school_a, school_b, limits):
    ai_usage_reserve(GENERATED_QUESTIONS, 10, school=fresh(school_a))
    with pytest.raises(QuotaExceeded):
        ai_usage_reserve(GENERATED_QUESTIONS, school=fresh(school_a))
    ai_usage_reserve(GENERATED_QUESTIONS, 10, school=fresh(school_b))
    ai_tokens_record(100, 10, school=fresh(school_a))
    assert (used(school_a), used(school_b)) == (10, 10)
    assert AIUsage.objects.get(school_id=school_b.model.pk).prompt_tokens == 0


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "2"])
def test_a_reservation_is_a_whole_number_from_one(school_a, limits, amount):
    with pytest.raises(ValueError, match="whole number from 1"):
        ai_usage_reserve(GENERATED_QUESTIONS, amount, school=fresh(school_a))
    assert used(school_a) == 0


def test_an_unknown_budget_is_a_programming_error(school_a):
    with pytest.raises(ValueError, match="unknown AI budget 'images'"):
        ai_usage_reserve("images", school=fresh(school_a))


def test_tokens_recorded_add_up(school_a):
    ai_tokens_record(1200, 300, school=fresh(school_a))
    ai_tokens_record(800, 200, school=fresh(school_a))
    ai_tokens_record(0, 0, school=fresh(school_a))
    ai_tokens_record(-50, 5, school=fresh(school_a))  # a provider's nonsense never subtracts
    row = AIUsage.objects.get(school_id=school_a.model.pk, month=month_start())
    assert (row.prompt_tokens, row.completion_tokens) == (2000, 505)
    assert (row.generated_questions, row.tutor_questions) == (0, 0)  # tokens are not questions


@pytest.mark.parametrize(("threads", "budget", "amount"), [(12, 5, 1), (8, 10, 3)])
def test_racing_reservations_for_the_last_units_get_exactly_what_is_left(
    fresh_school, committed, settings, threads, budget, amount
):
    # Real commits and one connection per thread: the row lock in PostgreSQL is what decides.
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = budget
    school = fresh_school("quota")
    start = threading.Barrier(threads)
    granted, refused, errors = [], [], []

    def reserve():
        try:
            start.wait(timeout=30)
            ai_usage_reserve(GENERATED_QUESTIONS, amount, school=fresh(school))
            granted.append(amount)
        except QuotaExceeded as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=reserve) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert len(granted) == budget // amount
    assert len(refused) == threads - budget // amount
    assert used(school) == sum(granted) <= budget
    assert AIUsage.objects.filter(school_id=school.model.pk).count() == 1
