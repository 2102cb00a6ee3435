"""The courses API. Admins and API keys see the whole school; teachers (signed in) see and
manage the courses they teach; students see the courses they take. Who may see or change a
course is decided by courses.access, the same helpers the web pages use."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.models import User
from courses import selectors, services
from courses.access import course_access
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination, paginated_response
from smartedu.api.permissions import is_api_key
from smartedu.errors import NotFound

from .serializers import (
    CourseCreateInputSerializer,
    CourseFilterSerializer,
    CourseOutputSerializer,
    CourseUpdateInputSerializer,
    EnrollmentCreateInputSerializer,
    EnrollmentOutputSerializer,
)

COURSE_TAGS = ["Courses"]
ENROLLMENT_TAGS = ["Enrollments"]


CHANGERS_ONLY = "Only this course's teachers and the school's admins can change it."


def _person(data: dict) -> User:
    if "user" in data:
        person = account_selectors.user_get(data["user"])
        missing = {"user": [f"No person with id {data['user']} in this school."]}
    else:
        person = account_selectors.user_get_by_external_id(data["external_id"])
        missing = {
            "external_id": [f"No person with external id {data['external_id']!r} in this school."]
        }
    if person is None:
        raise ValidationError(missing)
    return person


class CourseListApi(APIView):
    read_roles = ("admin", "teacher", "student")
    allowed_roles = ("admin", "teacher")
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="courses_list",
        tags=COURSE_TAGS,
        summary="List the courses the caller may see",
        parameters=[CourseFilterSerializer],
        responses={200: CourseOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        filters = CourseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        courses = selectors.course_list_for(request.user, **filters.validated_data)
        return paginated_response(
            view=self, request=request, queryset=courses, serializer_class=CourseOutputSerializer
        )

    @extend_schema(
        operation_id="courses_create",
        tags=COURSE_TAGS,
        summary="Create a course (a teacher who creates one teaches it)",
        request=CourseCreateInputSerializer,
        responses={201: CourseOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        data = CourseCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        creator = None if is_api_key(request.user) else request.user
        course = services.course_create(**data.validated_data, created_by=creator)
        course = course_access(request.user, course.pk)
        return Response(CourseOutputSerializer(course).data, status=status.HTTP_201_CREATED)


class CourseDetailApi(APIView):
    read_roles = ("admin", "teacher", "student")
    allowed_roles = ("admin", "teacher")

    @extend_schema(
        operation_id="courses_retrieve",
        tags=COURSE_TAGS,
        summary="One course",
        responses={200: CourseOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id)
        return Response(CourseOutputSerializer(course).data)

    @extend_schema(
        operation_id="courses_update",
        tags=COURSE_TAGS,
        summary="Rename, describe, archive or restore a course",
        request=CourseUpdateInputSerializer,
        responses={200: CourseOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
        data = CourseUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.course_update(course, **data.validated_data)
        course = course_access(request.user, course.pk)
        return Response(CourseOutputSerializer(course).data)


class CourseEnrollmentListApi(APIView):
    # Students may not list classmates: the roster is for the people who run the course.
    read_roles = ("admin", "teacher")
    allowed_roles = ("admin", "teacher")
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="course_enrollments_list",
        tags=ENROLLMENT_TAGS,
        summary="The course's teachers and students",
        responses={
            200: EnrollmentOutputSerializer(many=True),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
        return paginated_response(
            view=self,
            request=request,
            queryset=selectors.course_enrollments(course),
            serializer_class=EnrollmentOutputSerializer,
        )

    @extend_schema(
        operation_id="course_enrollments_create",
        tags=ENROLLMENT_TAGS,
        summary="Put a person in the course (or change their course role)",
        request=EnrollmentCreateInputSerializer,
        responses={
            201: OpenApiResponse(EnrollmentOutputSerializer, description="Newly enrolled."),
            200: OpenApiResponse(
                EnrollmentOutputSerializer,
                description="Already enrolled; the course role is now the one asked for.",
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
        data = EnrollmentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = _person(data.validated_data)
        enrollment, created = services.enrollment_add(
            course=course, user=person, role=data.validated_data.get("role")
        )
        return Response(
            EnrollmentOutputSerializer(enrollment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CourseEnrollmentDetailApi(APIView):
    allowed_roles = ("admin", "teacher")

    @extend_schema(
        operation_id="course_enrollments_delete",
        tags=ENROLLMENT_TAGS,
        summary="Take a person out of the course",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, course_id: int, user_id: int):
        course = course_access(request.user, course_id, manage=True, denied=CHANGERS_ONLY)
        person = account_selectors.user_get(user_id)
        if person is None or not services.enrollment_remove(course=course, user=person):
            raise NotFound(f"Person {user_id} is not in {course.code}.")
        return Response(status=status.HTTP_204_NO_CONTENT)
