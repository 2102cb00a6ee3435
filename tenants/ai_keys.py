"""Provider keys at rest: the encrypted field's keys (derived from SECRET_KEY and AI_KEYS_SALT)
and their rotation."""

from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from encrypted_fields.fields import EncryptedCharField

from .models import AIProvider


@receiver(setting_changed)
def _forget_derived_keys(*, setting: str, **kwargs) -> None:
    # The field derives its Fernet keys once per process (cached on the field); a changed salt
    # or secret (tests, a rotation) must be seen.
    if setting in ("SALT_KEY", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        field = AIProvider._meta.get_field("api_key")
        field.__dict__.pop("keys", None)
        field.__dict__.pop("f", None)


def keys_reencrypt() -> tuple[int, list[int]]:
    """Encrypt every stored provider key again with the first configured key (MultiFernet's
    rotate), reading the stored tokens directly: the field would hand back an unreadable token
    as if it were the key. Returns how many were rotated and the ids of unreadable ones."""
    from cryptography.fernet import InvalidToken, MultiFernet
    from django.db import connection

    field = AIProvider._meta.get_field("api_key")
    assert isinstance(field, EncryptedCharField)
    fernet = field.f
    if not isinstance(fernet, MultiFernet):
        fernet = MultiFernet([fernet])
    table = connection.ops.quote_name(AIProvider._meta.db_table)
    done, unreadable = 0, []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT id, api_key FROM {table} WHERE api_key IS NOT NULL FOR UPDATE")
        for pk, token in cursor.fetchall():
            try:
                rotated = fernet.rotate(token.encode()).decode()
            except InvalidToken:
                unreadable.append(pk)
                continue
            cursor.execute(f"UPDATE {table} SET api_key = %s WHERE id = %s", [rotated, pk])
            done += 1
    return done, unreadable
