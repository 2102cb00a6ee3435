from django.db.models import Q, QuerySet

from .models import Invitation, User


def user_filter(
    *,
    role: str | None = None,
    is_active: bool | None = None,
    external_id: str | None = None,
    search: str = "",
) -> QuerySet[User]:
    """The school's people narrowed by any of the filters; ``is_active=None`` means either."""
    users = User.objects.all()
    if role:
        users = users.filter(role=role)
    if is_active is not None:
        users = users.filter(is_active=is_active)
    if external_id:
        users = users.filter(external_id=external_id)
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


def user_get(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_get_by_username(username: str) -> User | None:
    return User.objects.filter(username__iexact=(username or "").strip()).first()


def user_count_by_role(*, active_only: bool = True) -> dict[str, int]:
    """People per role, every role present (0 when nobody has it)."""
    from django.db.models import Count

    users = User.objects.filter(is_active=True) if active_only else User.objects.all()
    counts = {role: 0 for role in User.Role.values}
    for row in users.order_by().values("role").annotate(n=Count("pk")):
        counts[row["role"]] = row["n"]
    return counts


def invitation_get(invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(pk=invitation_id).first()


def invitation_pending_count() -> int:
    from django.utils import timezone

    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()


def user_get_by_external_id(external_id: str) -> User | None:
    external_id = (external_id or "").strip()
    if not external_id:
        return None
    return User.objects.filter(external_id=external_id).first()
