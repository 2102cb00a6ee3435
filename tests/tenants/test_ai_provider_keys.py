"""Provider keys at rest: encrypted with a key derived from the secret key and AI_KEYS_SALT;
a rotated salt still reads the old keys, and `ai_keys_reencrypt` moves them to the new one."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.ai_keys import keys_reencrypt
from tenants.ai_providers import own_endpoint_save
from tenants.models import AIProvider

pytestmark = pytest.mark.django_db

KEY = "sk-rotate-me-0123456789"


def stored_token(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM tenants_aiprovider WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_rotated_salt_reads_old_keys_and_reencrypting_moves_them(school_a, settings):
    settings.SALT_KEY = ["old-salt"]
    endpoint = own_endpoint_save(
        school=school_a.model, name="", base_url="https://a.example/v1", model="m", api_key=KEY
    )
    before = stored_token(endpoint.pk)

    settings.SALT_KEY = ["new-salt", "old-salt"]
    assert AIProvider.objects.get(pk=endpoint.pk).api_key == KEY
    assert keys_reencrypt() == (1, [])
    assert stored_token(endpoint.pk) != before

    settings.SALT_KEY = ["new-salt"]
    assert AIProvider.objects.get(pk=endpoint.pk).api_key == KEY


def test_keys_no_configured_key_reads_are_reported(school_a, settings):
    settings.SALT_KEY = ["old-salt"]
    endpoint = own_endpoint_save(
        school=school_a.model, name="", base_url="https://a.example/v1", model="m", api_key=KEY
    )
    settings.SALT_KEY = ["unrelated-salt"]
    with pytest.raises(CommandError, match=rf"1 key\(s\) could not be decrypted .*{endpoint.pk}"):
        call_command("ai_keys_reencrypt", verbosity=0)
