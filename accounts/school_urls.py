"""The school admin's settings pages, under /school/."""

from django.urls import path

from .views import ai_providers, api_keys

app_name = "school"
urlpatterns = [
    path("api-keys/", api_keys.api_keys, name="api_keys"),
    path("api-keys/<str:prefix>/revoke/", api_keys.api_key_revoke, name="api_key_revoke"),
    path("ai/", ai_providers.ai_page, name="ai"),
    path("ai/endpoint/remove/", ai_providers.endpoint_remove, name="ai_endpoint_remove"),
]
