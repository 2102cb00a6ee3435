"""Access rules the web pages share: who may open a page, decided before the view runs."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(*roles: str):
    """Signed-in people whose role is in ``roles`` pass; others get the 403 page.

    Anonymous visitors are sent to the login page instead, so a bookmarked admin page still
    works after signing in.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if getattr(request.user, "role", None) not in roles:
                raise PermissionDenied("This page is for other roles.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = role_required("admin")
