from django.core.management.base import BaseCommand, CommandError

from tenants.ai_keys import keys_reencrypt


class Command(BaseCommand):
    help = (
        "Encrypt every stored AI provider key again with the current first key (after changing "
        "AI_KEYS_SALT or DJANGO_SECRET_KEY, with the old ones kept for decrypting)."
    )

    def handle(self, *args, **options):
        done, unreadable = keys_reencrypt()
        self.stdout.write(f"{done} provider key(s) encrypted with the current key.")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} key(s) could not be decrypted with any configured key "
                f"(providers {', '.join(map(str, unreadable))}): put the old DJANGO_SECRET_KEY "
                "in DJANGO_SECRET_KEY_FALLBACKS or the old salt in AI_KEYS_SALT, or enter "
                "those keys again."
            )
