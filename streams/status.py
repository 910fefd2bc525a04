"""The observed status of streams: the one module that writes it.

Three kinds of writer come through here: the worker holding a stream's lease reports what it observes
(`stream_report_status`, `stream_report_failure`), the reconciler records its decisions, and start-up marks
streams the last shutdown interrupted. Every write obeys the transition table of `streams.lifecycle`, is
logged as a state event, and tells the web consumers exactly once per change (`streams.notify`).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from streams import audit, control, lifecycle, notify, signals
from streams.models import Stream, StreamEvent

logger = logging.getLogger(__name__)

Status = Stream.Status
Desired = Stream.DesiredState

def stream_set_status(*, stream: Stream, status: str, reason: str = "", actor: str = "") -> bool:
    """Move `stream` (the object and its row) to `status`. False, changing nothing, if the table forbids the
    move, or if a command changed the desired state since `stream` was read (compare-and-set on its
    `desired_version`: that command's own step decides now). A change of status or reason is logged and
    notified once; a repeated report is silent."""
    if not lifecycle.can_move(stream.status, status):
        logger.warning("Stream %s: refused move %s -> %s", stream.pk, stream.status, status)
        return False
    reason = reason[:500]
    changed = (stream.status, stream.status_reason) != (status, reason)
    values = {
        "status": status,
        "status_reason": reason,
        "status_changed_at": timezone.now() if changed else stream.status_changed_at,
        "retry_at": stream.retry_at if status == Status.FAILED else None,
        "worker": "" if status == Status.STOPPED else stream.worker,
        "failure_count": stream.failure_count,
    }
    previous = stream.status
    with transaction.atomic():  # the hook's rows (events, their outbox) commit with the status, or not at all
        if not Stream.objects.filter(pk=stream.pk, desired_version=stream.desired_version).update(**values):
            logger.info("Stream %s: %s dropped, decided before a newer command", stream.pk, status)
            return False
        for field, value in values.items():
            setattr(stream, field, value)
        if changed:
            message = status + (f": {reason}" if reason else "")
            audit.event_record(stream=stream, kind=StreamEvent.Kind.STATE, message=message, actor=actor)
            notify.status_changed(stream)
        if previous != status:
            _send_status_changed(stream, previous, status, reason)
    return True


def _send_status_changed(stream: Stream, previous: str, status: str, reason: str) -> None:
    """Tell the hook's receivers (streams.signals), inside the status write's transaction."""
    try:
        with transaction.atomic():  # a savepoint: a failing receiver's rows go, the status change stays
            signals.status_changed.send(sender=Stream, stream=stream, previous=previous, status=status, reason=reason)
    except Exception:  # noqa: BLE001 - a hook must never undo or fail a state change
        logger.exception("Stream %s: a status hook failed", stream.pk)


def stream_report_status(*, stream_id: int, holder: str, status: str, reason: str = "", worker: str = "") -> bool:
    """A worker reports what it observes. Only the lease holder may write: a pipeline that lost its lease
    (it was presumed dead and replaced) must not overwrite its successor's state. False if refused."""
    if control.lease_holder(stream_id) != holder:
        logger.warning("Stream %s: refused %s from %s, which does not hold the lease", stream_id, status, holder)
        return False
    with transaction.atomic():
        stream = Stream.objects.select_for_update().filter(pk=stream_id).first()
        if stream is None:
            return False
        if status == Status.RUNNING:
            stream.failure_count = 0
        if status != Status.STOPPED:
            stream.worker = worker or stream.worker
        return stream_set_status(stream=stream, status=status, reason=reason, actor=worker)


def stream_report_failure(*, stream_id: int, holder: str, reason: str, worker: str = "") -> bool:
    """The lease holder's pipeline could not run; the reconciler retries after an exponential backoff."""
    if control.lease_holder(stream_id) != holder:
        return False
    with transaction.atomic():
        stream = Stream.objects.select_for_update().filter(pk=stream_id).first()
        if stream is None:
            return False
        stream.failure_count += 1
        delay = lifecycle.retry_delay_s(
            stream.failure_count, base_s=settings.STREAM_RETRY_BASE_S, max_s=settings.STREAM_RETRY_MAX_S
        )
        stream.retry_at = timezone.now() + timedelta(seconds=delay)
        audit.event_record(stream=stream, kind=StreamEvent.Kind.ERROR, message=reason, actor=worker)
        return stream_set_status(stream=stream, status=Status.FAILED, reason=reason, actor=worker)


def streams_mark_interrupted(*, reason: str = "the system restarted; starting again") -> int:
    """At start-up: a stream still shown as held by a worker, whose lease is gone, was stopped by the restart,
    not lost to a crash. Say so (a state change, not a "worker lost" error) before the reconciler starts it
    again; one that was being stopped is simply stopped. Returns how many streams it marked."""
    streams = list(Stream.objects.filter(status__in=lifecycle.HELD_STATUSES))
    holders = control.lease_holders([stream.pk for stream in streams])
    marked = 0
    for stream in streams:
        if holders[stream.pk] is not None:
            continue  # a worker on another host still runs it
        if stream.desired_state == Desired.STOPPED:
            marked += stream_set_status(stream=stream, status=Status.STOPPED)
        else:
            marked += stream_set_status(stream=stream, status=Status.STARTING, reason=reason)
    return marked
