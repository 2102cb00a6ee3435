"""URLs of a school's host (<school>.<domain>)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("courses.urls")),
    path("courses/<int:course_id>/", include("ai.urls")),
    path("courses/<int:course_id>/", include("quizzes.urls")),
    path("accounts/", include("accounts.urls")),
    path("school/", include("tenants.urls")),
    path("api/v1/", include("smartedu.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
