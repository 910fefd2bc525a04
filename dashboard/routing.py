from django.urls import path

from dashboard.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/streams/<int:stream_id>/", StreamConsumer.as_asgi()),
]
