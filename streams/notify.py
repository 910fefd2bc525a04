"""Tells web consumers about state changes through the channel layer, after the change is committed.

Status changes are rare (not per frame), so a short-lived `async_to_sync` call is cheap enough here; the
per-frame path uses the worker's persistent publisher instead.
"""

import logging
from typing import Literal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from streams.messages import STREAMS_GROUP, StatusMessage, StreamsChangedMessage, status_shown, stream_group
from streams.models import Stream

logger = logging.getLogger(__name__)


def status_changed(stream: Stream) -> None:
    message = StatusMessage(type="stream.status", stream_id=stream.pk, **status_shown(stream))
    stream_id = stream.pk
    transaction.on_commit(lambda: _send(stream_group(stream_id), dict(message)))
    streams_changed(stream_id, "updated")


def streams_changed(stream_id: int, change: Literal["created", "updated", "deleted"]) -> None:
    message = StreamsChangedMessage(type="streams.changed", stream_id=stream_id, change=change)
    transaction.on_commit(lambda: _send(STREAMS_GROUP, dict(message)))


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as error:  # noqa: BLE001 - a broker hiccup must never undo or fail a state change
        logger.warning("Could not notify %s: %s", group, error)
