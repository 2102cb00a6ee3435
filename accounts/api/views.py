"""The people (roster) API: admins and API keys only. Each method validates input, calls one
service or selector, and serializes the result; errors are formatted by smartedu.api.errors."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import User
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination, paginated_response

from .serializers import (
    UserCreateInputSerializer,
    UserFilterSerializer,
    UserOutputSerializer,
    UserUpdateInputSerializer,
)

TAGS = ["Users"]


def _user_or_404(user_id: int) -> User:
    user = selectors.user_get(user_id)
    if user is None:
        raise NotFound(f"No person with id {user_id} in this school.")
    return user


class UserListApi(APIView):
    allowed_roles = ("admin",)
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="users_list",
        tags=TAGS,
        summary="List the school's people",
        parameters=[UserFilterSerializer],
        responses={200: UserOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        filters = UserFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        users = selectors.user_filter(**filters.validated_data)
        return paginated_response(
            view=self, request=request, queryset=users, serializer_class=UserOutputSerializer
        )

    @extend_schema(
        operation_id="users_create",
        tags=TAGS,
        summary="Add a person",
        request=UserCreateInputSerializer,
        responses={201: UserOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        data = UserCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(APIView):
    allowed_roles = ("admin",)

    @extend_schema(
        operation_id="users_retrieve",
        tags=TAGS,
        summary="One person",
        responses={200: UserOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, user_id: int):
        return Response(UserOutputSerializer(_user_or_404(user_id)).data)

    @extend_schema(
        operation_id="users_update",
        tags=TAGS,
        summary="Change a person's details or role",
        request=UserUpdateInputSerializer,
        responses={200: UserOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, user_id: int):
        user = _user_or_404(user_id)
        data = UserUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user, _ = services.user_update(user, **data.validated_data)
        return Response(UserOutputSerializer(user).data)


class UserDeactivateApi(APIView):
    allowed_roles = ("admin",)

    @extend_schema(
        operation_id="users_deactivate",
        tags=TAGS,
        summary="Block a person from signing in (nothing is deleted)",
        request=None,
        responses={200: UserOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, user_id: int):
        user = services.user_deactivate(_user_or_404(user_id))
        return Response(UserOutputSerializer(user).data)


class UserReactivateApi(APIView):
    allowed_roles = ("admin",)

    @extend_schema(
        operation_id="users_reactivate",
        tags=TAGS,
        summary="Let a deactivated person sign in again",
        request=None,
        responses={200: UserOutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, user_id: int):
        user = services.user_reactivate(_user_or_404(user_id))
        return Response(UserOutputSerializer(user).data)
