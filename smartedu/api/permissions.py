from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenants.api_auth import APIKeyPrincipal


class IsSchoolStaffOrScopedKey(BasePermission):
    """API keys act within their scope; people must be school admins (or teachers where a view
    allows them through ``allowed_roles``)."""

    message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if isinstance(user, APIKeyPrincipal):
            if request.method in SAFE_METHODS:
                return True
            if not user.api_key.can_write:
                self.message = "This API key is read-only; create a read-write key to make changes."
                return False
            return True
        allowed = getattr(view, "allowed_roles", ("admin",))
        if request.method in SAFE_METHODS:
            allowed = getattr(view, "read_roles", allowed)
        return getattr(user, "role", None) in allowed and user.is_active
