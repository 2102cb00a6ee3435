from rest_framework.permissions import SAFE_METHODS, BasePermission

ROLE_NAMES = {"admin": "school admins", "teacher": "teachers", "student": "students"}
ROLE_NAME = {"admin": "school admin", "teacher": "teacher", "student": "student"}


def is_api_key(user) -> bool:
    """Whether the caller is a partner system behind a school's API key, not a person (the key's
    principal says so itself: tenants.api_auth.APIKeyPrincipal)."""
    return getattr(user, "is_api_key", False) is True


def _roles_sentence(roles) -> str:
    names = [ROLE_NAMES.get(role, role) for role in roles]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class IsSchoolStaffOrScopedKey(BasePermission):
    """API keys act within their scope; people need a role the view lists: ``allowed_roles``
    (default: admins only) for every method, ``read_roles`` overriding it for safe methods."""

    message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if is_api_key(user):
            if request.method in SAFE_METHODS:
                return True
            if not user.api_key.can_write:
                self.message = "This API key is read-only; create a read-write key to make changes."
                return False
            return True
        allowed = getattr(view, "allowed_roles", ("admin",))
        if request.method in SAFE_METHODS:
            allowed = getattr(view, "read_roles", allowed)
        role = getattr(user, "role", None)
        if role in allowed and user.is_active:
            return True
        self.message = (
            f"Only {_roles_sentence(allowed)} can do this; you are signed in as a "
            f"{ROLE_NAME.get(role or '', 'person')}."
        )
        return False
