from django.urls import path

from ai.consumers import TutorConsumer
from quizzes.consumers.attempts import AttemptConsumer
from quizzes.consumers.live import LiveConsumer
from tenants.consumers import ProgressConsumer

websocket_urlpatterns = [
    path("ws/progress/<slug:topic>/<str:key>/", ProgressConsumer.as_asgi()),
    path("ws/courses/<int:course_id>/tutor/", TutorConsumer.as_asgi()),
    path("ws/quizzes/<int:quiz_id>/attempt/", AttemptConsumer.as_asgi()),
    path("ws/live/<str:code>/", LiveConsumer.as_asgi()),
]
