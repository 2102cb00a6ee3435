from django.urls import include, path

from accounts.views.people import invitation_accept

from . import views

course_patterns = [
    path("", views.course_list, name="list"),
    path("new/", views.course_create, name="create"),
    path("<int:course_id>/", views.course_detail, name="detail"),
    path("<int:course_id>/edit/", views.course_edit, name="edit"),
    path("<int:course_id>/archive/", views.course_archive, name="archive"),
    path("<int:course_id>/people/search/", views.course_member_search, name="member_search"),
    path("<int:course_id>/people/add/", views.course_member_add, name="member_add"),
    path(
        "<int:course_id>/people/<int:user_id>/role/", views.course_member_role, name="member_role"
    ),
    path(
        "<int:course_id>/people/<int:user_id>/remove/",
        views.course_member_remove,
        name="member_remove",
    ),
    path("roster/", views.roster_imports, name="roster_imports"),
    path("roster/<int:roster_import_id>/", views.roster_import_detail, name="roster_import"),
    path(
        "roster/<int:roster_import_id>/panel/",
        views.roster_import_panel,
        name="roster_import_panel",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    # Invitation e-mails link to /invite/<token>/ (accounts.services.invitation_create).
    path("invite/<str:token>/", invitation_accept, name="invitation_accept"),
    path("courses/", include((course_patterns, "courses"))),
]
