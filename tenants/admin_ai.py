"""The operators' admin pages for AI providers: the chat providers offered to every school
(name, endpoint, model, tasks, prices, a write-only key) and the read-only cost per school,
provider, model and month. Schools' own endpoints are theirs: never listed here."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from . import ai_providers
from .admin_base import ReadOnlyModelAdmin
from .models import AIModelUsage, AIProvider, AITask


class AIProviderForm(forms.ModelForm):
    tasks = forms.MultipleChoiceField(
        choices=AITask.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What schools may choose it for.",
    )
    new_api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the current key.",
    )

    class Meta:
        model = AIProvider
        fields = [
            "name",
            "base_url",
            "model",
            "tasks",
            "price_input_per_million",
            "price_output_per_million",
            "enabled",
        ]

    def clean_base_url(self) -> str:
        # The operator's own model servers may sit on the internal network (http://vllm:8000).
        return ai_providers.check_base_url(self.cleaned_data["base_url"])

    def save(self, commit=True):
        provider = super().save(commit=False)
        if self.cleaned_data.get("new_api_key"):
            provider.api_key = self.cleaned_data["new_api_key"]
            provider.api_key_set_at = timezone.now()
        if commit:
            provider.save()
        return provider


@admin.register(AIProvider)
class AIProviderAdmin(admin.ModelAdmin):
    """The chat providers the operator offers every school (schools' own endpoints are theirs:
    not listed here, and never readable by anyone)."""

    form = AIProviderForm
    list_display = ["name", "model", "base_url", "task_list", "prices", "enabled", "key_status"]
    list_filter = ["enabled"]
    readonly_fields = ["key_status"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(school__isnull=True)

    @admin.display(description="Tasks")
    def task_list(self, provider: AIProvider) -> str:
        labels = dict(AITask.choices)
        return ", ".join(str(labels.get(task, task)) for task in provider.tasks) or "none"

    @admin.display(description="Price per 1M tokens (in / out)")
    def prices(self, provider: AIProvider) -> str:
        currency = settings.AI_PRICE_CURRENCY
        return (
            f"{provider.price_input_per_million} / {provider.price_output_per_million} {currency}"
        )

    @admin.display(description="API key")
    def key_status(self, provider: AIProvider) -> str:
        if not provider.api_key:
            return "not set"
        when = provider.api_key_set_at
        return f"•••• set on {when:%-d %b %Y}" if when else "•••• set"


@admin.register(AIModelUsage)
class AIModelUsageAdmin(ReadOnlyModelAdmin):
    """Tokens and cost per school, provider and model and month (read only: counted by the
    providers' calls)."""

    list_display = ["school", "month", "provider", "model", "prompt_tokens", "completion_tokens",
                    "cost"]  # fmt: skip
    list_filter = ["month", "provider"]
    list_select_related = ["school"]
