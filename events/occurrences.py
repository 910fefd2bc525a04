"""Writes of the event lifecycle: start, update, end. Each writes the event and its outbox message in one
transaction and tells the pages after the commit. Object events come from a pipeline's writer thread
(events.runtime.writer); stream events from the stream status hook (events.hooks); the deliverer's housekeeping
ends the events of a worker that died."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from analytics.models import Zone
from events import notify, outbox
from events.models import Event, OutboxMessage, Rule
from streams import control

logger = logging.getLogger(__name__)

Type = OutboxMessage.Type
SaveSnapshot = Callable[[Event], dict]  # writes the event's snapshot files, returns the Event fields to set


@dataclass(frozen=True)
class Seen:
    """What a pipeline saw of the object: its class, tracker id, confidence and box (source pixels)."""

    class_name: str
    tracker_id: int | None
    score: float
    box: list[float]
    zones: list[str] = field(default_factory=list)  # names of the zones the object is in now
    zone_ids: list[int] = field(default_factory=list)
    detail: str = ""  # overcrowding: how many are inside; a crossing: which way


def event_start(
    *, event_id: str, rule_id: int, origin: str, seen: Seen, started_at: datetime, snapshot: dict | None = None
) -> Event | None:
    """An object rule's event begins (its id was chosen by the pipeline). None if the rule is gone or the event
    exists already (the same start written twice)."""
    rule = Rule.objects.select_related("stream").filter(pk=rule_id).first()
    if rule is None or Event.objects.filter(pk=event_id).exists():
        return None
    with transaction.atomic():
        event = Event.objects.create(
            id=event_id, stream=rule.stream, rule=rule, rule_name=rule.name, kind=rule.kind,
            class_name=seen.class_name, tracker_id=seen.tracker_id, best_score=seen.score, box=seen.box,
            zones=seen.zones, detail=seen.detail[:500], started_at=started_at, updated_at=timezone.now(),
            origin=origin, **(snapshot or {}),
        )
        _add_zones(event, seen, rule)
        outbox.outbox_event(event=event, type=Type.EVENT_NEW, before=None)
        notify.event_changed(event, "new")
    return event


def event_update(*, event_id: str, seen: Seen, save_snapshot: SaveSnapshot | None = None) -> Event | None:
    """A better sighting of an event in progress: new best score, box and snapshot. None if it has ended."""
    with transaction.atomic():
        event = _open_event(event_id)
        if event is None:
            return None
        before = outbox.event_data(event)
        event.best_score, event.box, event.updated_at = seen.score, seen.box, timezone.now()
        event.zones, event.detail = seen.zones, seen.detail[:500] or event.detail
        _add_zones(event, seen, event.rule)
        if save_snapshot is not None and event.snapshot_pruned_at is None:
            for field, value in save_snapshot(event).items():
                setattr(event, field, value)
        event.save()
        outbox.outbox_event(event=event, type=Type.EVENT_UPDATE, before=before)
        notify.event_changed(event, "update")
    return event


def event_end(*, event_id: str, ended_at: datetime | None = None, reason: str) -> Event | None:
    """The event is over (the object left, the stream stopped, its worker died…). None if it already ended."""
    with transaction.atomic():
        event = _open_event(event_id)
        if event is None:
            return None
        before = outbox.event_data(event)
        event.ended_at = max(ended_at or timezone.now(), event.started_at)
        event.end_reason, event.updated_at = reason[:200], timezone.now()
        event.save(update_fields=["ended_at", "end_reason", "updated_at"])
        outbox.outbox_event(event=event, type=Type.EVENT_END, before=before)
        notify.event_changed(event, "end")
    return event


def _open_event(event_id: str) -> Event | None:
    events = Event.objects.select_for_update(of=("self",)).select_related("stream", "rule")
    return events.filter(pk=event_id, ended_at__isnull=True).first()


def _add_zones(event: Event, seen: Seen, rule: Rule | None) -> None:
    """Remember every zone the event has been in (the timeline's zone filter), its rule's zone included."""
    ids = set(seen.zone_ids) | ({rule.zone_id} if rule is not None and rule.zone_id is not None else set())
    live = Zone.objects.filter(pk__in=ids, stream_id=event.stream_id).values_list("pk", flat=True)
    if ids:
        event.in_zones.add(*live)


def events_end_open(*, stream_id: int, reason: str, kinds: Iterable[str] = Rule.OBJECT_KINDS) -> int:
    """End the stream's events in progress of these kinds; returns how many ended."""
    open_ids = Event.objects.filter(stream_id=stream_id, ended_at__isnull=True, kind__in=list(kinds))
    return sum(event_end(event_id=pk, reason=reason) is not None for pk in open_ids.values_list("pk", flat=True))


def events_end_orphaned() -> int:
    """End object events whose pipeline is gone: the lease holder that raised them no longer holds the stream
    (its worker died, or the stream stopped or moved). Returns how many ended."""
    still_open = Event.objects.filter(ended_at__isnull=True).exclude(origin="")
    open_events = list(still_open.values_list("pk", "stream_id", "origin"))
    holders = control.lease_holders(sorted({stream_id for _, stream_id, _ in open_events}))
    ended = 0
    for pk, stream_id, origin in open_events:
        if holders.get(stream_id) != origin:
            ended += event_end(event_id=pk, reason="its worker stopped or was lost") is not None
    if ended:
        logger.info("Ended %s event(s) whose pipeline is gone", ended)
    return ended


def stream_event_start(*, rule: Rule, detail: str, instant: bool = False) -> Event:
    """A stream rule's event (the stream went down, or came back). `instant` ends it at once (new + end)."""
    now = timezone.now()
    event = Event.objects.create(
        stream=rule.stream, rule=rule, rule_name=rule.name, kind=rule.kind, detail=detail[:500],
        started_at=now, updated_at=now,
    )
    outbox.outbox_event(event=event, type=Type.EVENT_NEW, before=None)
    notify.event_changed(event, "new")
    if instant:
        event_end(event_id=event.pk, ended_at=now, reason="instant")
    return event
