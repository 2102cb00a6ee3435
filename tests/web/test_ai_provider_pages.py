"""The school admin's AI page: add the school's own endpoint (its key encrypted and never shown
again), choose the provider order per task among what the operator offers, test the
connection, and read this month's cost per provider and model next to the budget."""

from decimal import Decimal

import pytest
from django.db import connection

from tenants import ai_providers
from tenants.models import AIModelUsage, AIProvider, AIProviderChoice
from tenants.quotas import month_start
from tests.fakes.openai_server import running

from .conftest import text

pytestmark = pytest.mark.django_db

PAGE = "/school/ai/"
KEY = "sk-alpha-very-secret-0123456789"


@pytest.fixture
def local_ok(settings):
    settings.AI_OWN_ENDPOINTS_MAY_BE_LOCAL = True


def add_endpoint(school, **overrides):
    data = {
        "action": "endpoint",
        "name": "Alpha Azure",
        "base_url": "https://alpha.openai.example/v1/",
        "model": "gpt-4o-mini",
        "api_key": KEY,
        **overrides,
    }
    return school.client(school.admin).post(PAGE, data, follow=True)


def test_the_admin_adds_an_endpoint_and_its_key_is_never_shown_again(school_a):
    response = add_endpoint(school_a)

    assert response.status_code == 200
    page = text(response)
    assert "Your endpoint was saved." in page
    endpoint = AIProvider.objects.get(school=school_a.model)
    assert (endpoint.base_url, endpoint.model) == ("https://alpha.openai.example/v1", "gpt-4o-mini")
    assert "API key: •••• set on" in page
    assert KEY not in response.content.decode()
    # Stored encrypted: the column holds a Fernet token, not the key or a part of it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM tenants_aiprovider WHERE id = %s", [endpoint.pk])
        (raw,) = cursor.fetchone()
    assert KEY not in raw and KEY[:12] not in raw and raw.startswith("gAAAAA")


def test_saving_without_a_key_keeps_the_stored_one(school_a):
    add_endpoint(school_a)
    add_endpoint(school_a, model="gpt-4.1-mini", api_key="")
    endpoint = AIProvider.objects.get(school=school_a.model)
    assert (endpoint.model, endpoint.api_key) == ("gpt-4.1-mini", KEY)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"base_url": "ftp://alpha.example/v1"}, "starting with https://"),
        ({"base_url": "not a url"}, "starting with https://"),
        ({"base_url": "https://user:pw@alpha.example/v1"}, "Leave the user name and password out"),
        ({"base_url": "http://127.0.0.1:8000/v1"}, "not a local one"),
        ({"base_url": "http://10.0.0.7/v1"}, "not a local one"),
        ({"model": "   "}, "Name the model to use"),
    ],
)
def test_bad_input_gets_a_clear_error_and_saves_nothing(school_a, overrides, error):
    response = add_endpoint(school_a, **overrides)
    assert response.status_code == 200
    assert error in text(response)
    assert "Please fix the highlighted" in text(response)
    assert not AIProvider.objects.filter(school=school_a.model).exists()
    assert KEY not in response.content.decode()  # a typed key is not echoed back either


def test_the_admin_orders_providers_per_task(school_a, settings):
    settings.LLM_PROVIDER, settings.OPENAI_API_KEY = "openai", "sk-platform"
    add_endpoint(school_a)
    own = AIProvider.objects.get(school=school_a.model)
    offered = AIProvider.objects.create(
        name="Operator large", base_url="https://llm.example/v1", model="big", tasks=["tutor"],
        price_input_per_million=Decimal("2.50"), price_output_per_million=Decimal("10"),
    )  # fmt: skip
    client = school_a.client(school_a.admin)
    page = text(client.get(PAGE))
    assert "Operator large — big (2.5 in / 10 out per 1M tokens, USD)" in page

    response = client.post(
        PAGE,
        {"action": "order", "tutor_0": str(own.pk), "tutor_1": str(offered.pk),
         "tutor_2": "default", "generation_0": "default"},
        follow=True,
    )  # fmt: skip

    assert "The provider order was saved" in text(response)
    assert ai_providers.chosen_order(school_a.model, "tutor") == [own, offered, None]
    assert ai_providers.chosen_order(school_a.model, "generation") == [None]


def test_a_provider_not_offered_for_the_task_is_refused(school_a, school_b):
    tutor_only = AIProvider.objects.create(
        name="Tutor only", base_url="https://llm.example/v1", model="m", tasks=["tutor"]
    )
    add_endpoint(school_b)
    theirs = AIProvider.objects.get(school=school_b.model)
    client = school_a.client(school_a.admin)
    for field, value in (("generation_0", tutor_only.pk), ("tutor_0", theirs.pk)):
        response = client.post(PAGE, {"action": "order", field: str(value)})
        assert response.status_code == 200
        assert "Select a valid choice." in text(response)
    assert not AIProviderChoice.objects.filter(school=school_a.model).exists()
    assert str(theirs.name) not in text(client.get(PAGE))  # B's endpoint is not even listed


def test_test_connection_says_whether_the_endpoint_answers(school_a, local_ok):
    with running(api_key=KEY) as server:
        add_endpoint(school_a, base_url=server.url, model="gpt-4o-mini")
        client = school_a.client(school_a.admin)
        response = client.post(PAGE, {"action": "test"}, follow=True)
        assert "The endpoint answered and offers “gpt-4o-mini”." in text(response)

        add_endpoint(school_a, base_url=server.url, model="no-such-model", api_key="")
        response = client.post(PAGE, {"action": "test"}, follow=True)
        assert "does not list the model “no-such-model”" in text(response)

        add_endpoint(school_a, base_url=server.url, api_key="sk-wrong")
        response = client.post(PAGE, {"action": "test"}, follow=True)
        assert "The endpoint rejected the API key." in text(response)
    response = client.post(PAGE, {"action": "test"}, follow=True)
    assert "Could not reach" in text(response)


def test_removing_the_endpoint_deletes_it_and_its_steps(school_a):
    add_endpoint(school_a)
    own = AIProvider.objects.get(school=school_a.model)
    ai_providers.order_set(school=school_a.model, task="tutor", provider_ids=[own.pk])
    client = school_a.client(school_a.admin)
    assert "Delete your own AI endpoint?" in text(client.get(f"{PAGE}endpoint/remove/"))

    response = client.post(f"{PAGE}endpoint/remove/", follow=True)

    assert "Your endpoint and its key were deleted" in text(response)
    assert not AIProvider.objects.filter(school=school_a.model).exists()
    assert ai_providers.chosen_order(school_a.model, "tutor") == []
    assert client.get(f"{PAGE}endpoint/remove/").status_code == 404


def test_the_page_shows_each_models_cost_next_to_the_budget(school_a, school_b):
    month = month_start()
    AIModelUsage.objects.create(
        school=school_a.model, month=month, provider="Operator mini", model="op-model",
        prompt_tokens=2_000_000, completion_tokens=500_000, cost=Decimal("0.6"),
    )  # fmt: skip
    AIModelUsage.objects.create(
        school=school_a.model, month=month, provider="Our endpoint", model="school-model",
        prompt_tokens=1234, completion_tokens=56, cost=Decimal(0),
    )  # fmt: skip
    AIModelUsage.objects.create(
        school=school_b.model, month=month, provider="Beta only", model="b-model",
        prompt_tokens=1, completion_tokens=1, cost=Decimal("9"),
    )  # fmt: skip

    page = text(school_a.client(school_a.admin).get(PAGE))

    assert "Operator mini op-model 2000000 500000 0.6000" in page
    assert "Our endpoint school-model 1234 56 0.0000" in page
    assert "Total 0.6000 USD" in page
    assert "of 20000 tutor questions" in page or "of unlimited tutor questions" in page
    assert "Beta only" not in page


def test_the_page_shows_the_spending_cap_and_when_it_is_reached(school_a):
    from tenants.models import Plan

    school_a.model.plan = Plan.objects.create(name="Capped", monthly_ai_spend_limit=Decimal("5"))
    school_a.model.save()
    AIModelUsage.objects.create(
        school=school_a.model, month=month_start(), provider="Operator mini", model="op-model",
        prompt_tokens=10, completion_tokens=1, cost=Decimal("4.5"),
    )  # fmt: skip
    client = school_a.client(school_a.admin)
    assert "4.50 of the 5.00 USD spending cap" in text(client.get(PAGE))
    assert "reached" not in text(client.get(PAGE))

    AIModelUsage.objects.filter(school=school_a.model).update(cost=Decimal("5.2"))
    page = text(client.get(PAGE))
    assert "5.20 of the 5.00 USD spending cap: reached. Priced providers are skipped" in page


def test_only_the_schools_admin_may_change_anything(school_a, school_b):
    add_endpoint(school_a)
    data = {"action": "endpoint", "base_url": "https://evil.example/v1", "model": "m"}
    for user in (school_a.teacher, school_a.student):
        client = school_a.client(user)
        assert client.post(PAGE, data).status_code == 403
        assert client.post(PAGE, {"action": "test"}).status_code == 403
        assert client.post(f"{PAGE}endpoint/remove/").status_code == 403
    other = school_b.client(school_b.admin)
    other.defaults["HTTP_HOST"] = school_a.host
    for response in (other.post(PAGE, data), other.post(f"{PAGE}endpoint/remove/")):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    endpoint = AIProvider.objects.get(school=school_a.model)
    assert endpoint.base_url == "https://alpha.openai.example/v1"
