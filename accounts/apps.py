from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"

    def ready(self) -> None:
        from tenants.signals import demo_school_seed

        from .demo import demo_people_seed

        demo_school_seed.connect(demo_people_seed, dispatch_uid="accounts.demo_people_seed")
