"""Tells web consumers (events page, stream pages, the wall) about event changes, after they are committed.

Events are rare next to frames, so a short-lived `async_to_sync` call per change is cheap enough."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from events.messages import EVENTS_GROUP, Change, EventChangedMessage
from events.models import Event

logger = logging.getLogger(__name__)


def active_alerts(stream_id: int) -> int:
    """Events of the stream in progress that nobody acknowledged."""
    return Event.objects.filter(stream_id=stream_id, ended_at__isnull=True, acknowledged_at__isnull=True).count()


def event_changed(event: Event, change: Change) -> None:
    event_id, stream_id = str(event.pk), event.stream_id
    transaction.on_commit(lambda: _send(event_id, stream_id, change))


def _send(event_id: str, stream_id: int, change: Change) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        message = EventChangedMessage(
            type="events.changed", event_id=event_id, stream_id=stream_id, change=change,
            active_alerts=active_alerts(stream_id),
        )
        async_to_sync(layer.group_send)(EVENTS_GROUP, dict(message))
    except Exception as error:  # noqa: BLE001 - a broker hiccup must never fail an event write
        logger.warning("Could not tell pages about event %s: %s", event_id, error)
