from django.urls import path

from .consumers import ProgressConsumer

websocket_urlpatterns = [
    path("ws/progress/<slug:topic>/<str:key>/", ProgressConsumer.as_asgi()),
]
