"""The platform operators' admin (public schema, bare domain only: the tenant URLconf has no
admin). Every change goes through tenants.services, the same path as the management commands,
so a school made here has its schema and domain, and a suspension here is the suspension.

AI budgets: operators keep the plans (monthly limits of generated and tutor questions), choose
each school's plan on the school's page, and read each school's AI use per month (read only:
it is counted by tenants.quotas, never typed in)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from . import quotas, selectors, services
from .admin_base import ReadOnlyModelAdmin
from .models import AIUsage, Domain, Plan, School, SchoolAPIKey


def _use_of(limit: int, used: int) -> str:
    return f"{used:,} of {limit:,}" if limit else f"{used:,} (unlimited)"


class SchoolAddForm(forms.ModelForm):
    slug = forms.CharField(
        label="Short name",
        max_length=40,
        help_text=(
            "Lowercase letters and digits, starting with a letter. It becomes the school's "
            "database schema and host (<short name>.<domain>) and cannot be changed later."
        ),
    )

    class Meta:
        model = School
        fields = ["name"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        services.validate_school_slug(slug)
        return slug


class DomainInline(admin.TabularInline):
    model = Domain
    readonly_fields = ("domain", "is_primary")
    fields = readonly_fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SuspendForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Kept with the school for support staff; the school's users are not shown it.",
    )


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "schema_name",
        "host",
        "plan_or_default",
        "generated_this_month",
        "tutor_this_month",
        "is_suspended",
        "created_at",
    ]
    list_filter = ["is_suspended", "plan"]
    search_fields = ["name", "schema_name", "domains__domain"]
    ordering = ["name"]
    actions = ["suspend_schools", "reactivate_schools"]
    inlines = [DomainInline]
    readonly_fields = [
        "schema_name",
        "host",
        "is_suspended",
        "suspended_reason",
        "suspended_at",
        "created_at",
        "ai_use_this_month",
    ]
    fields = ["name", "plan", *readonly_fields]

    def get_queryset(self, request):
        # The public tenant and the template schema are machinery, not schools.
        return (
            selectors.school_list()
            .select_related("plan")
            .prefetch_related(
                Prefetch("domains", queryset=Domain.objects.filter(is_primary=True)),
                Prefetch(
                    "ai_usage",
                    queryset=AIUsage.objects.filter(month=quotas.month_start()),
                    to_attr="usage_this_month",
                ),
            )
        )

    @admin.display(description="plan", ordering="plan__name")
    def plan_or_default(self, school: School) -> str:
        return school.plan.name if school.plan else "— (defaults)"

    def _use(self, school: School, kind: str) -> str:
        rows = getattr(school, "usage_this_month", None)
        if rows is None:  # the change page, which does not prefetch
            rows = list(school.ai_usage.filter(month=quotas.month_start()))
        used = getattr(rows[0], kind) if rows else 0
        return _use_of(quotas.monthly_limit(school, kind), used)

    @admin.display(description="generated questions this month")
    def generated_this_month(self, school: School) -> str:
        return self._use(school, quotas.GENERATED_QUESTIONS)

    @admin.display(description="tutor questions this month")
    def tutor_this_month(self, school: School) -> str:
        return self._use(school, quotas.TUTOR_QUESTIONS)

    @admin.display(description="AI use this month (UTC)")
    def ai_use_this_month(self, school: School) -> str:
        history = reverse("admin:tenants_aiusage_changelist") + f"?school__id__exact={school.pk}"
        return format_html(
            "Generated questions: {}<br>Tutor questions: {}<br>Resets {}. "
            '<a href="{}">Every month</a>',
            self.generated_this_month(school),
            self.tutor_this_month(school),
            f"{quotas.next_reset():%-d %B %Y}",
            history,
        )

    @admin.display(description="host")
    def host(self, school: School) -> str:
        primary = list(school.domains.all())
        return primary[0].domain if primary else "—"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SchoolAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "slug"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_model(self, request, obj, form, change):
        if change:
            # A new plan applies at once, to what is left of this month's budget too.
            obj.save(update_fields=["name", "plan"])
            return
        provisioned = services.school_provision(
            name=form.cleaned_data["name"], slug=form.cleaned_data["slug"]
        )
        # The admin goes on with `obj` (log entry, redirect); make it the provisioned school.
        obj.__dict__.update(provisioned.school.__dict__)
        messages.info(
            request,
            f"{provisioned.school.name} is ready at {provisioned.host} "
            f"({provisioned.seconds * 1000:.0f} ms). Create its first admin with "
            f"`manage.py create_school` or an invitation.",
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Dropping a schema is erasure, done deliberately through tenants.services.school_delete.
        return False

    @admin.action(description="Suspend selected schools (users and API keys are refused)")
    def suspend_schools(self, request, queryset):
        form = SuspendForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for school in queryset:
                services.school_suspend(school, reason=form.cleaned_data["reason"])
            count = queryset.count()
            self.message_user(
                request,
                ngettext("%d school suspended.", "%d schools suspended.", count) % count,
                messages.WARNING,
            )
            return None
        return TemplateResponse(
            request,
            "admin/tenants/school/suspend.html",
            {
                **self.admin_site.each_context(request),
                "title": "Suspend schools",
                "schools": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Reactivate selected schools")
    def reactivate_schools(self, request, queryset):
        for school in queryset:
            services.school_reactivate(school)
        count = queryset.count()
        self.message_user(
            request, ngettext("%d school reactivated.", "%d schools reactivated.", count) % count
        )


@admin.register(SchoolAPIKey)
class SchoolAPIKeyAdmin(ReadOnlyModelAdmin):
    """Read-only: keys are created by each school's admin; operators can only revoke them."""

    list_display = [
        "name",
        "prefix",
        "school",
        "scope",
        "created",
        "last_used_at",
        "expiry_date",
        "revoked",
    ]
    list_filter = ["revoked", "scope", "school"]
    search_fields = ["name", "prefix", "school__name", "school__schema_name"]
    list_select_related = ["school"]
    actions = ["revoke_keys"]

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked=False).select_related("school"):
            try:
                services.api_key_revoke(school=api_key.school, prefix=api_key.prefix)
            except (SchoolAPIKey.DoesNotExist, ValidationError):
                continue
            count += 1
        self.message_user(request, ngettext("%d key revoked.", "%d keys revoked.", count) % count)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans: what a school may spend on AI each month. Changing a plan changes the budget of
    every school on it at once; deleting one puts its schools back on the defaults."""

    list_display = ["name", "generated_limit", "tutor_limit", "school_count"]
    search_fields = ["name"]
    fields = [
        "name",
        "monthly_generated_questions",
        "monthly_tutor_questions",
        "monthly_ai_spend_limit",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_schools=Count("schools"))

    @admin.display(
        description="generated questions a month", ordering="monthly_generated_questions"
    )
    def generated_limit(self, plan: Plan) -> str:
        return (
            f"{plan.monthly_generated_questions:,}"
            if plan.monthly_generated_questions
            else "unlimited"
        )

    @admin.display(description="tutor questions a month", ordering="monthly_tutor_questions")
    def tutor_limit(self, plan: Plan) -> str:
        return f"{plan.monthly_tutor_questions:,}" if plan.monthly_tutor_questions else "unlimited"

    @admin.display(description="schools", ordering="n_schools")
    def school_count(self, plan: Plan):
        changelist = reverse("admin:tenants_school_changelist") + f"?plan__id__exact={plan.pk}"
        # n_schools: annotated by get_queryset.
        return format_html('<a href="{}">{}</a>', changelist, plan.n_schools)  # type: ignore[attr-defined]


@admin.register(AIUsage)
class AIUsageAdmin(ReadOnlyModelAdmin):
    """Each school's AI use per calendar month (UTC), as tenants.quotas counted it: read only."""

    list_display = [
        "school",
        "month_label",
        "generated",
        "tutor",
        "prompt",
        "completion",
    ]
    list_filter = ["month", "school"]
    search_fields = ["school__name", "school__schema_name"]
    list_select_related = ["school__plan"]
    date_hierarchy = "month"

    @admin.display(description="month", ordering="month")
    def month_label(self, usage: AIUsage) -> str:
        return f"{usage.month:%B %Y}"

    @admin.display(description="generated questions", ordering="generated_questions")
    def generated(self, usage: AIUsage) -> str:
        # The limit shown is today's plan; the count is what that month used.
        limit = quotas.monthly_limit(usage.school, quotas.GENERATED_QUESTIONS)
        return _use_of(limit, usage.generated_questions)

    @admin.display(description="tutor questions", ordering="tutor_questions")
    def tutor(self, usage: AIUsage) -> str:
        return _use_of(
            quotas.monthly_limit(usage.school, quotas.TUTOR_QUESTIONS), usage.tutor_questions
        )

    @admin.display(description="prompt tokens", ordering="prompt_tokens")
    def prompt(self, usage: AIUsage) -> str:
        return f"{usage.prompt_tokens:,}"

    @admin.display(description="completion tokens", ordering="completion_tokens")
    def completion(self, usage: AIUsage) -> str:
        return f"{usage.completion_tokens:,}"


# The AI provider pages live in their own module; importing it registers them.
from . import admin_ai  # noqa: E402, F401
