"""The reconciler's decisions: one step of a stream toward its desired state.

`streams_reconcile` steps every stream on a schedule (Celery beat), which repairs what no command covers: a
worker that died, a retry that is due. Operator commands and settings changes step their one stream at once
(`stream_reconcile_changed`), and a worker that lets go of a stream steps it too (`stream_reconcile`). A step
queues a run task, wakes the worker that holds the stream, or writes the status it decided through
`streams.status`, the one writer of status.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from streams import control, events, lifecycle, status
from streams.control import Command
from streams.dispatch import dispatch_stream
from streams.models import Stream, StreamEvent

Status = Stream.Status
Desired = Stream.DesiredState

# A holder that has not settled this long after a change missed its command: wake it again.
LAGGING_AFTER = timedelta(seconds=3)


def streams_reconcile() -> int:
    """Step every stream toward its desired state; returns how many needed action."""
    streams = list(Stream.objects.all())
    holders = control.lease_holders([stream.pk for stream in streams])
    return sum(_step(stream, holders[stream.pk]) for stream in streams)


def stream_reconcile(*, stream_id: int) -> bool:
    """Step one stream now, as stored (after it was created, or when its worker lets go of it)."""
    stream = Stream.objects.filter(pk=stream_id).first()
    return stream is not None and _step(stream, control.lease_holder(stream_id))


def stream_reconcile_changed(*, stream: Stream, wake: Command = Command.SYNC) -> bool:
    """Step a stream the operator has just changed (`stream` is the saved object): a worker that runs it is
    told `wake`. With no worker, a stream that should run starts without waiting out its backoff."""
    holder = control.lease_holder(stream.pk)
    backing_off = stream.failure_count or stream.retry_at
    if holder is None and backing_off and stream.desired_state in lifecycle.ACTIVE_DESIRED:
        stream.failure_count, stream.retry_at = 0, None
        Stream.objects.filter(pk=stream.pk).update(failure_count=0, retry_at=None)
    return _step(stream, holder, wake)


def _step(stream: Stream, holder: str | None, wake: Command | None = None) -> bool:
    """One stream, one step toward its desired state. True if something had to be done."""
    if stream.desired_state == Desired.STOPPED:
        return _step_stopped(stream, holder)
    if holder is not None:
        if wake is None:
            return _nudge_if_lagging(stream)
        control.send_command(stream.pk, wake)
        return True
    if stream.status == Status.FAILED and stream.retry_at and stream.retry_at > timezone.now():
        return False  # waiting out its backoff
    if not control.claim_dispatch(stream.pk, settings.STREAM_DISPATCH_TTL_S):
        return False  # a run task is already queued
    if stream.status in lifecycle.HELD_STATUSES:
        message = f"worker lost ({stream.worker or 'unknown'}); starting again"
        events.event_record(stream=stream, kind=StreamEvent.Kind.ERROR, message=message)
    reason = f"retry {stream.failure_count}" if stream.status == Status.FAILED else ""
    status.stream_set_status(stream=stream, status=Status.STARTING, reason=reason)
    transaction.on_commit(lambda: dispatch_stream(stream.pk, stream.queue or settings.STREAMS_QUEUE))
    return True


def _step_stopped(stream: Stream, holder: str | None) -> bool:
    if holder is not None:
        if stream.status != Status.STOPPING:
            status.stream_set_status(stream=stream, status=Status.STOPPING)
        control.send_command(stream.pk, Command.SYNC)
        return True
    if stream.status != Status.STOPPED:
        status.stream_set_status(stream=stream, status=Status.STOPPED)
        return True
    return False


def _nudge_if_lagging(stream: Stream) -> bool:
    """The holder missed a command (it expired, say) if it has not settled long after the change: a pipeline
    that is up but in the wrong one of running/paused, or one still shown stopping after the stop was undone.
    Woken, the holder re-reads the stream and reports what it observes."""
    up = stream.status in (Status.RUNNING, Status.PAUSED)
    lagging = (up and stream.status != lifecycle.settled_status(stream.desired_state)) or (
        stream.status == Status.STOPPING
    )
    changed_at = stream.status_changed_at
    if lagging and changed_at and timezone.now() - changed_at > LAGGING_AFTER:
        control.send_command(stream.pk, Command.SYNC)
        return True
    return False
