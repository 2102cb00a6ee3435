"""Course material and tutor pages, under /courses/<course_id>/ (smartedu.urls_tenant)."""

from django.urls import path

from .views import materials, tutor

app_name = "ai"

urlpatterns = [
    path("materials/", materials.material_list, name="materials"),
    path("materials/<int:material_id>/", materials.material_detail, name="material"),
    path("materials/<int:material_id>/row/", materials.material_row, name="material_row"),
    path("materials/<int:material_id>/retry/", materials.material_retry, name="material_retry"),
    path("materials/<int:material_id>/delete/", materials.material_delete, name="material_delete"),
    path("tutor/", tutor.tutor, name="tutor"),
    path("tutor/turns/<int:turn_id>/", tutor.tutor_turn, name="tutor_turn"),
    path("tutor/traces/", tutor.tutor_traces, name="tutor_traces"),
    path("tutor/traces/<int:turn_id>/", tutor.tutor_trace, name="tutor_trace"),
]
