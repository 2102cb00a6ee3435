from django.urls import path

from . import rosters, views

urlpatterns = [
    path("users/bulk-upsert/", rosters.UserBulkUpsertApi.as_view(), name="api-users-bulk-upsert"),
    path("courses/", views.CourseListApi.as_view(), name="api-courses"),
    path("courses/<int:course_id>/", views.CourseDetailApi.as_view(), name="api-course"),
    path(
        "courses/<int:course_id>/enrollments/",
        views.CourseEnrollmentListApi.as_view(),
        name="api-course-enrollments",
    ),
    path(
        "courses/<int:course_id>/enrollments/<int:user_id>/",
        views.CourseEnrollmentDetailApi.as_view(),
        name="api-course-enrollment",
    ),
]
