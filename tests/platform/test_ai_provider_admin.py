"""The operator offers chat providers to every school in the platform admin: name, endpoint,
model, tasks, prices; the key is stored encrypted and never shown again. Schools' own endpoints
are not listed there."""

import pytest

from tenants import ai_providers
from tenants.models import AIProvider

from ..web.conftest import text
from .conftest import platform_client

pytestmark = pytest.mark.django_db

KEY = "sk-operator-very-secret-0123456789"


def test_operator_offers_a_provider_in_the_platform_admin_and_its_key_stays_hidden(operator):
    client = platform_client(operator)
    response = client.post(
        "/admin/tenants/aiprovider/add/",
        {
            "name": "Operator mini",
            "base_url": "http://vllm:8000/v1",
            "model": "llama-3.1-8b",
            "tasks": ["tutor", "generation"],
            "price_input_per_million": "0.15",
            "price_output_per_million": "0.60",
            "enabled": "on",
            "new_api_key": KEY,
        },
    )
    assert response.status_code == 302, text(response)
    provider = AIProvider.objects.get(name="Operator mini")
    assert provider.api_key == KEY and provider.school is None
    change = client.get(f"/admin/tenants/aiprovider/{provider.pk}/change/")
    assert KEY not in change.content.decode() and "•••• set on" in text(change)
    assert "0.1500 / 0.6000 USD" in text(client.get("/admin/tenants/aiprovider/"))


def test_schools_own_endpoints_are_not_listed_for_the_operator(operator, school_a):
    ai_providers.own_endpoint_save(
        school=school_a.model, name="Alpha private", base_url="https://a.example/v1", model="m",
        api_key=KEY,
    )  # fmt: skip
    client = platform_client(operator)
    assert "Alpha private" not in text(client.get("/admin/tenants/aiprovider/"))
    own = AIProvider.objects.get(school=school_a.model)
    assert client.get(f"/admin/tenants/aiprovider/{own.pk}/change/").status_code == 302


def test_a_bad_endpoint_address_is_refused_with_a_sentence(operator):
    client = platform_client(operator)
    response = client.post(
        "/admin/tenants/aiprovider/add/",
        {"name": "Broken", "base_url": "https://u:p@llm.example/v1", "model": "m",
         "tasks": ["tutor"], "price_input_per_million": "0", "price_output_per_million": "0"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Leave the user name and password out" in text(response)
    assert not AIProvider.objects.filter(name="Broken").exists()
