"""Plans and AI use in the operators' admin: an operator makes a plan, puts a school on it (the
new limits apply at once), and reads the school's AI use for the month; AI use is read only;
nobody from a school reaches any of it."""

import datetime as dt
import html

import lxml.html
import pytest
from django.test import Client

from tenants.models import AIUsage, Plan, School
from tenants.quotas import (
    GENERATED_QUESTIONS,
    QuotaExceeded,
    ai_usage_reserve,
    month_start,
    next_reset,
)

from .conftest import platform_client

pytestmark = pytest.mark.django_db

PLANS = "/admin/tenants/plan/"
SCHOOLS = "/admin/tenants/school/"
USAGE = "/admin/tenants/aiusage/"


def form_fields(client, url: str) -> dict:
    """What a browser would send back from the page's main form, as it stands."""
    page = lxml.html.fromstring(client.get(url).content.decode())
    form = next(f for f in page.forms if f.get("id", "").endswith("_form"))
    return dict(form.form_values())


def text(response) -> str:
    """The page's visible text, spaces folded."""
    return " ".join(lxml.html.fromstring(response.content.decode()).text_content().split())


def rows(response) -> list[list[str]]:
    """The cells of a changelist's rows (the checkbox column left out)."""
    page = lxml.html.fromstring(response.content.decode())
    return [
        [
            " ".join(cell.text_content().split())
            for cell in row.xpath("td|th")
            if "action-checkbox" not in (cell.get("class") or "")
        ]
        for row in page.xpath("//table[@id='result_list']/tbody/tr")
    ]


def test_operator_makes_a_plan_and_puts_a_school_on_it(operator, school_a, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 2000
    client = platform_client(operator)

    response = client.post(
        f"{PLANS}add/",
        {
            "name": "Pilot",
            "monthly_generated_questions": "3",
            "monthly_tutor_questions": "0",
            "monthly_ai_spend_limit": "12.50",
            "_save": "Save",
        },
    )
    assert response.status_code == 302 and response["Location"] == PLANS
    plan = Plan.objects.get(name="Pilot")
    assert (plan.monthly_generated_questions, plan.monthly_tutor_questions) == (3, 0)
    assert str(plan.monthly_ai_spend_limit) == "12.50"

    change = f"{SCHOOLS}{school_a.model.pk}/change/"
    fields = form_fields(client, change)
    assert fields["plan"] == ""  # no plan yet: the defaults
    response = client.post(change, {**fields, "plan": str(plan.pk), "_save": "Save"})
    assert response.status_code == 302 and response["Location"] == SCHOOLS
    school = School.objects.get(pk=school_a.model.pk)
    assert school.plan_id == plan.pk and school.name == "Alpha Academy"

    # The plan's limit is the school's budget from now on.
    ai_usage_reserve(GENERATED_QUESTIONS, 3, school=School.objects.get(pk=school.pk))
    with pytest.raises(QuotaExceeded, match="used all 3 generated questions"):
        ai_usage_reserve(GENERATED_QUESTIONS, 1, school=School.objects.get(pk=school.pk))

    assert rows(client.get(PLANS)) == [["Pilot", "3", "unlimited", "1"]]


def test_a_plan_with_bad_limits_is_refused(operator):
    response = platform_client(operator).post(
        f"{PLANS}add/",
        {
            "name": "Broken",
            "monthly_generated_questions": "-5",
            "monthly_tutor_questions": "many",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Ensure this value is greater than or equal to 0." in page
    assert "Enter a whole number." in page
    assert not Plan.objects.filter(name="Broken").exists()


def test_taking_a_school_off_its_plan_puts_it_back_on_the_defaults(operator, school_a, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 1
    plan = Plan.objects.create(name="Big", monthly_generated_questions=100)
    School.objects.filter(pk=school_a.model.pk).update(plan=plan)
    client = platform_client(operator)
    change = f"{SCHOOLS}{school_a.model.pk}/change/"
    fields = form_fields(client, change)
    assert fields["plan"] == str(plan.pk)
    assert client.post(change, {**fields, "plan": "", "_save": "Save"}).status_code == 302
    school = School.objects.get(pk=school_a.model.pk)
    assert school.plan_id is None
    ai_usage_reserve(GENERATED_QUESTIONS, 1, school=school)
    with pytest.raises(QuotaExceeded):
        ai_usage_reserve(GENERATED_QUESTIONS, 1, school=School.objects.get(pk=school.pk))


def test_operator_sees_each_schools_ai_use_this_month(operator, school_a, school_b, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 2000
    settings.AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = 20000
    plan = Plan.objects.create(
        name="Campus", monthly_generated_questions=500, monthly_tutor_questions=0
    )
    School.objects.filter(pk=school_b.model.pk).update(plan=plan)
    last_month = (month_start() - dt.timedelta(days=1)).replace(day=1)
    AIUsage.objects.create(
        school=school_a.model,
        month=month_start(),
        generated_questions=1234,
        tutor_questions=56,
        prompt_tokens=987654,
        completion_tokens=12345,
    )
    AIUsage.objects.create(school=school_a.model, month=last_month, generated_questions=1999)
    AIUsage.objects.create(school=school_b.model, month=month_start(), generated_questions=77)
    client = platform_client(operator)

    listing = {row[0]: row[3:6] for row in rows(client.get(SCHOOLS))}
    assert listing["Alpha Academy"] == ["— (defaults)", "1,234 of 2,000", "56 of 20,000"]
    assert listing["Beta High"] == ["Campus", "77 of 500", "0 (unlimited)"]

    page = text(client.get(f"{SCHOOLS}{school_a.model.pk}/change/"))
    assert "Generated questions: 1,234 of 2,000" in page
    assert "Tutor questions: 56 of 20,000" in page
    assert f"Resets {next_reset():%-d %B %Y}." in page

    history = client.get(f"{USAGE}?school__id__exact={school_a.model.pk}")
    assert history.status_code == 200
    assert rows(history) == [
        [
            "Alpha Academy (alpha)",
            f"{month_start():%B %Y}",
            "1,234 of 2,000",
            "56 of 20,000",
            "987,654",
            "12,345",
        ],
        ["Alpha Academy (alpha)", f"{last_month:%B %Y}", "1,999 of 2,000", "0 of 20,000", "0", "0"],
    ]


def test_ai_use_cannot_be_typed_in_changed_or_deleted(operator, school_a):
    usage = AIUsage.objects.create(school=school_a.model, month=month_start(), tutor_questions=9)
    client = platform_client(operator)
    assert client.get(f"{USAGE}add/").status_code == 403
    assert client.get(f"{USAGE}{usage.pk}/delete/").status_code == 403
    client.post(f"{USAGE}{usage.pk}/change/", {"tutor_questions": "0"})
    assert AIUsage.objects.get(pk=usage.pk).tutor_questions == 9
    assert 'name="tutor_questions"' not in client.get(f"{USAGE}{usage.pk}/change/").content.decode()


@pytest.mark.parametrize("path", [PLANS, f"{PLANS}add/", USAGE, SCHOOLS])
def test_nobody_from_a_school_reaches_plans_or_ai_use(school_a, path):
    # Not on the school's own host (the tenant URLconf has no admin) ...
    for person in (school_a.admin, school_a.teacher):
        assert school_a.client(person).get(path).status_code == 404
    # ... nor on the bare domain, where school accounts do not exist.
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        f"/admin/login/?next={path}",
        {"username": school_a.admin.username, "password": "correct-horse-battery"},
    )
    assert response.status_code == 200  # the login form again
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.post(
        f"{PLANS}add/",
        {"name": "Sneaky", "monthly_generated_questions": "0", "monthly_tutor_questions": "0"},
    )
    assert response.status_code == 302
    assert not Plan.objects.filter(name="Sneaky").exists()


def test_a_signed_in_non_operator_is_refused(db):
    from accounts.models import User

    User.objects.create_user("clerk", "clerk@smartedu.example", "clerk-pass-123")
    client = Client(HTTP_HOST="localhost")
    client.post("/admin/login/", {"username": "clerk", "password": "clerk-pass-123"})
    client.force_login(User.objects.get(username="clerk"))
    response = client.get(PLANS)
    assert response.status_code == 302  # to the admin's login page: not staff
    assert response["Location"].startswith("/admin/login/")
    assert not Plan.objects.exists()


def test_the_school_list_reads_plans_and_use_in_a_fixed_number_of_queries(
    operator, school_a, school_b
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = platform_client(operator)

    def listing_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(SCHOOLS).status_code == 200
        return len(queries)

    bare = listing_queries()
    plan = Plan.objects.create(name="Campus", monthly_generated_questions=500)
    for school in (school_a, school_b):
        School.objects.filter(pk=school.model.pk).update(plan=plan)
        AIUsage.objects.create(school=school.model, month=month_start(), tutor_questions=4)
    assert listing_queries() == bare
