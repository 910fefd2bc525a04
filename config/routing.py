"""Every WebSocket path of the product, each served by its app's consumer (docs/dashboard.md)."""

from django.urls import path

from dashboard.consumers import StreamListConsumer
from events.consumers import EventsConsumer
from streams.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/streams/", StreamListConsumer.as_asgi()),
    path("ws/streams/<int:stream_id>/", StreamConsumer.as_asgi()),
    path("ws/events/", EventsConsumer.as_asgi()),
]
