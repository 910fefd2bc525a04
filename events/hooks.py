"""What the events app does when streams change: connected in EventsConfig.ready() to the one-way hooks of
streams/ (streams.signals.status_changed, sent inside the status write's transaction), of analytics/
(analytics.signals.counts_recorded, inside the counts' transaction) and to deletions.

Down means reconnecting or failed; a stream that is running again after being down "comes back". Object events
of a stream that stops running (paused, stopped, down, rebuilding) end: no frame will end them otherwise.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from events import occurrences, outbox, snapshots
from events.models import Event, Rule, StreamOutage
from streams.models import Stream

logger = logging.getLogger(__name__)

Status = Stream.Status
DOWN_STATUSES = frozenset({Status.RECONNECTING, Status.FAILED})
OPERATOR_STOPPED = frozenset({Status.STOPPING, Status.STOPPED})


def on_stream_status_changed(sender: object, *, stream: Stream, previous: str, status: str, **_: object) -> None:
    """The stream's status moved from `previous` to `status`; we are inside that write's transaction. The
    savepoint keeps a failure here from undoing the status change (the hook is called with send_robust)."""
    with transaction.atomic():
        outbox.outbox_stream_status(stream=stream, previous=previous)
        if status != Status.RUNNING:
            occurrences.events_end_open(stream_id=stream.pk, reason=f"stream {status}")
        if status in DOWN_STATUSES:
            _outage_begin(stream)
        elif status == Status.RUNNING:
            _outage_end(stream, reason="stream came back", came_back=True)
        elif status in OPERATOR_STOPPED:
            _outage_end(stream, reason=f"stream {status}", came_back=False)


def on_counts_recorded(sender: object, *, stream_id: int, occupancy: Mapping[int, Mapping[str, int]],
                       **_: object) -> None:  # fmt: skip
    """A worker's counts were stored (analytics.signals.counts_recorded, inside that transaction): the stream's
    totals and occupancy go to the outbox with them (MQTT's retained counts topics)."""
    with transaction.atomic():
        outbox.outbox_counts(stream_id=stream_id, occupancy=occupancy)


def _outage_begin(stream: Stream) -> None:
    if StreamOutage.objects.filter(stream=stream, ended_at__isnull=True).exists():
        return  # reconnecting, then failed: the same outage
    StreamOutage.objects.create(stream=stream, reason=stream.status_reason[:500])
    for rule in _enabled_rules(stream, Rule.Kind.STREAM_DOWN):
        occurrences.stream_event_start(rule=rule, detail=stream.status_reason or stream.status)


def _outage_end(stream: Stream, *, reason: str, came_back: bool) -> None:
    outage = StreamOutage.objects.filter(stream=stream, ended_at__isnull=True).first()
    if outage is None:
        return
    StreamOutage.objects.filter(pk=outage.pk).update(ended_at=timezone.now(), end_reason=reason)
    occurrences.events_end_open(stream_id=stream.pk, reason=reason, kinds=[Rule.Kind.STREAM_DOWN])
    if came_back:
        for rule in _enabled_rules(stream, Rule.Kind.STREAM_UP):
            down_for = (timezone.now() - outage.started_at).total_seconds()
            occurrences.stream_event_start(rule=rule, detail=f"down for {down_for:.0f} s", instant=True)


def _enabled_rules(stream: Stream, kind: str) -> list[Rule]:
    """The stream's enabled rules of `kind` that are not cooling down after their last event."""
    now = timezone.now()
    ready = []
    for rule in Rule.objects.select_related("stream").filter(stream=stream, kind=kind, enabled=True):
        last = Event.objects.filter(rule=rule).order_by("-started_at").values_list("started_at", flat=True).first()
        if last is None or (now - last).total_seconds() >= rule.cooldown_s:
            ready.append(rule)
    return ready


def on_stream_deleted(sender: object, instance: Stream, **_: object) -> None:
    """Clear what other systems keep about the stream (its retained MQTT state)."""
    outbox.outbox_stream_deleted(stream_id=instance.pk, name=instance.name)


def on_event_deleted(sender: object, instance: Event, **_: object) -> None:
    """An event row is gone (its stream was deleted): its snapshot files go once that is committed."""
    paths = [snapshots.media_path(name) for name in (instance.snapshot, instance.thumbnail) if name]
    transaction.on_commit(lambda: _remove(paths))


def _remove(paths: list[Path | None]) -> None:
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)
