"""The platform operators' admin (public schema, bare domain only: the tenant URLconf has no
admin). Every change goes through tenants.services, the same path as the management commands,
so a school made here has its schema and domain, and a suspension here is the suspension."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from . import selectors, services
from .models import Domain, School, SchoolAPIKey


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
    fields = ["domain", "is_primary"]
    readonly_fields = fields
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
    list_display = ["name", "schema_name", "host", "is_suspended", "created_at"]
    list_filter = ["is_suspended"]
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
    ]
    fields = ["name", *readonly_fields]

    def get_queryset(self, request):
        # The public tenant and the template schema are machinery, not schools.
        return selectors.school_list().prefetch_related(
            Prefetch("domains", queryset=Domain.objects.filter(is_primary=True))
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
            obj.save(update_fields=["name"])
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
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
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
class SchoolAPIKeyAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

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
