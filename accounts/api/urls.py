from django.urls import path

from . import views

urlpatterns = [
    path("users/", views.UserListApi.as_view(), name="api-users"),
    path("users/<int:user_id>/", views.UserDetailApi.as_view(), name="api-user"),
    path(
        "users/<int:user_id>/deactivate/",
        views.UserDeactivateApi.as_view(),
        name="api-user-deactivate",
    ),
    path(
        "users/<int:user_id>/reactivate/",
        views.UserReactivateApi.as_view(),
        name="api-user-reactivate",
    ),
]
