"""Admin pages the operator reads but never edits: the records are written by the product
(usage counters, costs, keys issued to schools)."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """No add, change or delete from the admin; list, filter and actions only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
