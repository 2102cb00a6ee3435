from django.db.models import Q, QuerySet

from .models import Invitation, User


def user_list(
    *, role: str | None = None, search: str = "", include_inactive: bool = True
) -> QuerySet[User]:
    users = User.objects.all()
    if role:
        users = users.filter(role=role)
    if not include_inactive:
        users = users.filter(is_active=True)
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    return users


def invitation_list() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("invited_by")
