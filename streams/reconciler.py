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

from streams import audit, control, lifecycle, status
from streams.capacity import Capacity, is_capacity_reason
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
    capacity = Capacity(holders=holders)
    return sum(_step(stream, holders[stream.pk], capacity=capacity) for stream in streams)


def stream_reconcile(*, stream_id: int) -> bool:
    """Step one stream now, as stored (after it was created, or when its worker lets go of it)."""
    stream = Stream.objects.filter(pk=stream_id).first()
    return stream is not None and _step(stream, control.lease_holder(stream_id), capacity=Capacity())


def stream_reconcile_changed(*, stream: Stream, wake: Command = Command.SYNC) -> bool:
    """Step a stream the operator has just changed (`stream` is the saved object, refreshed here: a later
    command may have been committed meanwhile, and the step follows the newest). A worker that runs it is told
    `wake`. With no worker, a stream that should run starts without waiting out its backoff."""
    try:
        stream.refresh_from_db()
    except Stream.DoesNotExist:
        return False
    holder = control.lease_holder(stream.pk)
    backing_off = stream.failure_count or stream.retry_at
    if holder is None and backing_off and stream.desired_state in lifecycle.ACTIVE_DESIRED:
        stream.failure_count, stream.retry_at = 0, None
        Stream.objects.filter(pk=stream.pk).update(failure_count=0, retry_at=None)
    return _step(stream, holder, wake, capacity=Capacity())


def _step(stream: Stream, holder: str | None, wake: Command | None = None, *, capacity: Capacity) -> bool:
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
        return _waiting(stream, capacity)  # a run task is already queued
    return _dispatch(stream, capacity)


def _dispatch(stream: Stream, capacity: Capacity) -> bool:
    """Queue a run task (the caller holds the dispatch ticket), saying why it will wait if it must."""
    lost_from = stream.worker if stream.status in lifecycle.HELD_STATUSES else None
    queue = stream.queue or settings.STREAMS_QUEUE
    retry = f"retry {stream.failure_count}" if stream.status == Status.FAILED else ""
    reason = capacity.waiting_reason(queue) or retry
    if not status.stream_set_status(stream=stream, status=Status.STARTING, reason=reason):
        control.release_dispatch(stream.pk)  # decided on an older command: the newer command's step decides
        return False
    if lost_from is not None:
        message = f"worker lost ({lost_from or 'unknown'}); starting again"
        audit.event_record(stream=stream, kind=StreamEvent.Kind.ERROR, message=message)
    transaction.on_commit(lambda: dispatch_stream(stream.pk, queue))
    return True


def _waiting(stream: Stream, capacity: Capacity) -> bool:
    """A queued task nobody took yet: show why (no free slot, no worker for its queue) and keep its ticket while
    that lasts, so it is not queued again behind itself. A ticket that expires while slots are free means the
    task was lost with a worker: the next pass queues it again."""
    if stream.status != Status.STARTING:
        return False
    reason = capacity.waiting_reason(stream.queue or settings.STREAMS_QUEUE)
    if reason:
        control.extend_dispatch(stream.pk, settings.STREAM_DISPATCH_TTL_S)
    elif not is_capacity_reason(stream.status_reason):
        return False  # its reason says something else (a retry): leave it
    if reason == stream.status_reason:
        return False
    return status.stream_set_status(stream=stream, status=Status.STARTING, reason=reason)


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
