"""URLs of a school's host (<school>.<domain>)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from quizzes.views import live, progress

urlpatterns = [
    path("", include("courses.urls")),
    path("courses/<int:course_id>/", include("ai.urls")),
    path("courses/<int:course_id>/", include("quizzes.urls")),
    path("accounts/", include("accounts.urls")),
    path("progress/", progress.student_progress, name="student_progress"),
    path("live/", live.live_join, name="live_join"),
    path("live/<str:code>/", live.live_play, name="live_play"),
    path("school/overview/", progress.school_overview, name="school_overview"),
    path("school/", include("accounts.school_urls")),
    path("api/v1/", include("smartedu.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
