from django.urls import path

from dashboard.consumers import StreamConsumer, StreamListConsumer
from dashboard.events_consumers import EventsConsumer

websocket_urlpatterns = [
    path("ws/streams/", StreamListConsumer.as_asgi()),
    path("ws/streams/<int:stream_id>/", StreamConsumer.as_asgi()),
    path("ws/events/", EventsConsumer.as_asgi()),
]
