"""Platform operators. The admin is only served on the bare domain (public schema), so the
users listed here are the operators; a school's people live in its own schema and are managed
in the school's web UI."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class OperatorAdmin(UserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "is_superuser",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # User rows cascade to tenant-only tables (enrollments, invitations) that the public
        # schema does not have, so a delete here would fail; operators are deactivated instead.
        return False
