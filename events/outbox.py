"""The outbox: each message to other systems is a row written in the same transaction as the fact it reports,
so a crash between "stored" and "sent" loses nothing. The deliverer (events.deliverer) sends the rows; after a
commit, deliverers are woken through Redis so a message leaves in milliseconds, not at the next poll."""

import logging
from collections.abc import Mapping
from datetime import datetime

import redis
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from analytics import selectors as analytics_selectors
from core import redis_keys
from events.messages import EventData
from events.models import Event, OutboxMessage, WebhookEndpoint
from streams.control import redis_client
from streams.messages import status_shown
from streams.models import Stream

logger = logging.getLogger(__name__)

WAKE_KEY = redis_keys.outbox_wake_key()


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def event_data(event: Event) -> EventData:
    snapshot = event.has_snapshot
    return EventData(
        id=str(event.pk),
        kind=event.kind,
        stream={"id": event.stream_id, "name": event.stream.name},
        rule={"id": event.rule_id, "name": event.rule_name},
        label=event.class_name,
        tracker_id=event.tracker_id,
        score=event.best_score,
        box=event.box,
        zones=list(event.zones or []),
        detail=event.detail,
        started_at=iso(event.started_at),
        updated_at=iso(event.updated_at),
        ended_at=iso(event.ended_at),
        end_reason=event.end_reason,
        active=event.ended_at is None,
        has_snapshot=snapshot,
        snapshot_url=reverse("api:event-snapshot", args=[event.pk]) if snapshot else None,
        thumbnail_url=reverse("api:event-thumbnail", args=[event.pk]) if snapshot else None,
        acknowledged=event.acknowledged_at is not None,
    )


def outbox_event(*, event: Event, type: str, before: EventData | None) -> OutboxMessage:
    """An event started, changed or ended. Call inside the transaction that wrote the event."""
    payload = {"before": before, "after": event_data(event)}
    return _write(type=type, stream_id=event.stream_id, event_id=event.pk, payload=payload)


def outbox_stream_status(*, stream: Stream, previous: str) -> OutboxMessage:
    """A stream's observed status changed (MQTT keeps it as the stream's retained state)."""
    shown = status_shown(stream)
    payload = {
        "stream": {"id": stream.pk, "name": stream.name},
        "status": shown["status"],
        "previous": previous,
        "reason": shown["reason"],
        "desired_state": shown["desired_state"],
        "at": iso(stream.status_changed_at),
    }
    return _write(type=OutboxMessage.Type.STREAM_STATUS, stream_id=stream.pk, payload=payload)


def outbox_counts(*, stream_id: int, occupancy: Mapping[int, Mapping[str, int]]) -> OutboxMessage | None:
    """The stream's counts changed (call inside the transaction that stored them): every line's in/out and every
    zone's entries, exits and occupancy now, per class, since the last reset. None if the stream is gone."""
    stream = Stream.objects.filter(pk=stream_id).only("pk", "name").first()
    if stream is None:
        return None
    totals = analytics_selectors.totals_by_object(stream_id=stream_id)
    lines = [{"id": line.pk, "name": line.name, **_metrics(totals.get(("line", line.pk)), ("in", "out"))}
             for line in analytics_selectors.lines_of(stream_id=stream_id)]  # fmt: skip
    zones = [{"id": zone.pk, "name": zone.name, "occupancy": dict(occupancy.get(zone.pk, {})),
              **_metrics(totals.get(("zone", zone.pk)), ("enter", "exit"))}
             for zone in analytics_selectors.zones_of(stream_id=stream_id)]  # fmt: skip
    payload = {"stream": {"id": stream.pk, "name": stream.name}, "at": iso(timezone.now()), "lines": lines,
               "zones": zones}  # fmt: skip
    return _write(type=OutboxMessage.Type.STREAM_COUNTS, stream_id=stream_id, payload=payload)


def _metrics(found: Mapping[str, Mapping[str, int]] | None, names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    return {name: dict((found or {}).get(name, {})) for name in names}


def outbox_stream_deleted(*, stream_id: int, name: str) -> OutboxMessage:
    payload = {"stream": {"id": stream_id, "name": name}}
    return _write(type=OutboxMessage.Type.STREAM_DELETED, stream_id=stream_id, payload=payload)


def outbox_test(*, endpoint: WebhookEndpoint, actor: str = "") -> OutboxMessage:
    payload = {"message": "A test event from StreamVision.", "endpoint": endpoint.name, "sent_by": actor}
    return _write(type=OutboxMessage.Type.WEBHOOK_TEST, stream_id=None, payload=payload, only_endpoint=endpoint)


def _write(**fields: object) -> OutboxMessage:
    message = OutboxMessage.objects.create(**fields)
    transaction.on_commit(wake_deliverers)
    return message


def wake_deliverers() -> None:
    """Tell a waiting deliverer there is something to send (it also polls, so a lost wake costs a second)."""
    try:
        with redis_client().pipeline() as pipe:
            pipe.lpush(WAKE_KEY, 1).ltrim(WAKE_KEY, 0, 15).expire(WAKE_KEY, 60).execute()
    except redis.RedisError as error:
        logger.warning("Could not wake the deliverers: %s", error)
