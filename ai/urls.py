"""Course material and tutor pages, under /courses/<course_id>/ (smartedu.urls_tenant)."""

from django.urls import path

from . import views

app_name = "ai"

urlpatterns = [
    path("materials/", views.material_list, name="materials"),
    path("materials/<int:material_id>/", views.material_detail, name="material"),
    path("materials/<int:material_id>/row/", views.material_row, name="material_row"),
    path("materials/<int:material_id>/retry/", views.material_retry, name="material_retry"),
    path("materials/<int:material_id>/delete/", views.material_delete, name="material_delete"),
    path("tutor/", views.tutor, name="tutor"),
    path("tutor/turns/<int:turn_id>/", views.tutor_turn, name="tutor_turn"),
    path("tutor/traces/", views.tutor_traces, name="tutor_traces"),
    path("tutor/traces/<int:turn_id>/", views.tutor_trace, name="tutor_trace"),
]
