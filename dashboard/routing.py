from django.urls import path

from dashboard.consumers import StreamConsumer, StreamListConsumer

websocket_urlpatterns = [
    path("ws/streams/", StreamListConsumer.as_asgi()),
    path("ws/streams/<int:stream_id>/", StreamConsumer.as_asgi()),
]
