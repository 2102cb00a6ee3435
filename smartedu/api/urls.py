from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("courses.api.urls")),
    path("", include("ai.api.urls")),
    path("", include("quizzes.api.urls")),
]
