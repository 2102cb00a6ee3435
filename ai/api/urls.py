from django.urls import path

from . import views

urlpatterns = [
    path(
        "courses/<int:course_id>/materials/",
        views.CourseMaterialListApi.as_view(),
        name="api-course-materials",
    ),
    path("materials/<int:material_id>/", views.MaterialDetailApi.as_view(), name="api-material"),
    path(
        "materials/<int:material_id>/retry/",
        views.MaterialRetryApi.as_view(),
        name="api-material-retry",
    ),
    path(
        "materials/<int:material_id>/chunks/",
        views.MaterialChunkListApi.as_view(),
        name="api-material-chunks",
    ),
    path(
        "courses/<int:course_id>/search/", views.CourseSearchApi.as_view(), name="api-course-search"
    ),
    path("courses/<int:course_id>/tutor/", views.CourseTutorApi.as_view(), name="api-course-tutor"),
    path(
        "courses/<int:course_id>/tutor/turns/",
        views.CourseTutorTurnListApi.as_view(),
        name="api-course-tutor-turns",
    ),
    path("tutor/turns/<int:turn_id>/", views.TutorTurnDetailApi.as_view(), name="api-tutor-turn"),
]
