"""Writes to streams. Views, the API, the admin, the reconciler and the workers all go through these.

Operator commands set the desired state, record who did it, and reconcile the one stream at once (queue a
run task, or wake the worker that holds it). `streams_reconcile` does the same for every stream on a
schedule, which also repairs what no command covers: a worker that died, a retry that is due.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from streams import control, lifecycle, metrics_history, notify
from streams.dispatch import dispatch_stream
from streams.models import Stream, StreamEvent, WorkerNode
from streams.sources import redact_source

logger = logging.getLogger(__name__)

Status = Stream.Status
Desired = Stream.DesiredState

# Changing these rebuilds a running stream's pipeline; the live ones apply to the next frame.
PIPELINE_FIELDS = frozenset({"source", "max_fps", "model"})
LIVE_FIELDS = frozenset({"confidence", "classes"})
EDITABLE_FIELDS = PIPELINE_FIELDS | LIVE_FIELDS | {"name", "queue"}


def stream_create(
    *,
    name: str,
    source: str,
    max_fps: float | None = None,
    confidence: float | None = None,
    classes: list[str] | None = None,
    model: str = "",
    queue: str = "",
    start: bool = True,
    actor: str = "",
) -> Stream:
    """Validate and store a stream; start it unless `start` is False. Invalid input raises ValidationError."""
    stream = _new_stream(
        name=name, source=source, max_fps=max_fps, confidence=confidence, classes=classes, model=model, queue=queue
    )
    stream.desired_state = Desired.RUNNING if start else Desired.STOPPED
    stream.full_clean()
    stream.save()
    logger.info("Stream %s (%s) created", stream.pk, stream.name)
    _record(stream, StreamEvent.Kind.COMMAND, "created" + ("" if start else " (start disabled)"), actor)
    notify.streams_changed(stream.pk, "created")
    if start:
        transaction.on_commit(lambda: stream_reconcile(stream_id=stream.pk))
    return stream


def streams_bulk_create(*, items: list[dict], actor: str = "") -> list[Stream]:
    """Create several streams, all or none: a ValidationError maps each bad item's index to its errors."""
    errors: dict[str, list[str]] = {}
    names = [str(item.get("name", "")).strip() for item in items]
    for index, item in enumerate(items):
        problems = _item_problems(item)
        if names.count(names[index]) > 1:
            problems.append("name: this name appears more than once in the request.")
        if problems:
            errors[str(index)] = problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return [stream_create(**item, actor=actor) for item in items]


def _item_problems(item: dict) -> list[str]:
    try:
        _new_stream(**{key: value for key, value in item.items() if key != "start"}).full_clean()
    except ValidationError as error:
        return [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
    except TypeError as error:
        return [str(error)]
    return []


def _new_stream(
    *,
    name: str,
    source: str,
    max_fps: float | None = None,
    confidence: float | None = None,
    classes: list[str] | None = None,
    model: str = "",
    queue: str = "",
) -> Stream:
    return Stream(
        name=(name or "").strip(),
        source=(source or "").strip(),
        max_fps=max_fps,
        confidence=settings.DEFAULT_CONFIDENCE if confidence is None else confidence,
        classes=[] if classes is None else classes,
        model=(model or "").strip(),
        queue=(queue or "").strip(),
    )


def stream_update(*, stream: Stream, actor: str = "", **changes: object) -> Stream:
    """Apply setting changes after validation. A running stream takes confidence/classes on the next frame,
    rebuilds only its own pipeline for source/max_fps/model, and moves to another worker for a new queue."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(unknown)})
    changed = sorted(field for field, value in changes.items() if getattr(stream, field) != value)
    for field in changed:
        setattr(stream, field, changes[field])
    stream.full_clean()
    if not changed:
        return stream
    stream.save()
    _record(stream, StreamEvent.Kind.CONFIG, "changed " + _describe_changes(stream, changed), actor)
    notify.streams_changed(stream.pk, "updated")
    if stream.desired_state in lifecycle.ACTIVE_DESIRED:
        transaction.on_commit(lambda: _apply_changes(stream.pk, set(changed)))
    return stream


def _describe_changes(stream: Stream, changed: list[str]) -> str:
    shown = {field: redact_source(stream.source) if field == "source" else getattr(stream, field) for field in changed}
    return ", ".join(f"{field}={value!r}" for field, value in shown.items())


def _apply_changes(stream_id: int, changed: set[str]) -> None:
    holder = control.lease_holder(stream_id)
    if holder is None:
        # Nobody runs it (it failed, say): corrected settings deserve a fresh start, without the backoff wait.
        stream = Stream.objects.filter(pk=stream_id).first()
        if stream is not None:
            _clear_backoff(stream)
            _reconcile(stream, None)
    elif "queue" in changed:
        control.send_command(stream_id, "release")
    elif changed & PIPELINE_FIELDS:
        control.send_command(stream_id, "restart")
    else:
        control.send_command(stream_id, "sync")


def stream_start(*, stream: Stream, actor: str = "") -> Stream:
    """Ask for the stream to run (from any state; also resumes a paused one). Idempotent."""
    return _command(stream, Desired.RUNNING, "start", actor)


def stream_resume(*, stream: Stream, actor: str = "") -> Stream:
    return _command(stream, Desired.RUNNING, "resume", actor)


def stream_pause(*, stream: Stream, actor: str = "") -> Stream:
    """Keep the source open and the stream's worker, but stop inference and frames until resumed."""
    return _command(stream, Desired.PAUSED, "pause", actor)


def stream_stop(*, stream: Stream, actor: str = "") -> Stream:
    """Ask for the stream to stop; its worker stops the pipeline within a second, even while it opens."""
    return _command(stream, Desired.STOPPED, "stop", actor)


def stream_restart(*, stream: Stream, actor: str = "") -> Stream:
    """Rebuild the pipeline now (a failed stream skips its retry wait; a stopped one starts)."""
    return _command(stream, Desired.RUNNING, "restart", actor, restart=True)


def _command(stream: Stream, desired: str, verb: str, actor: str, restart: bool = False) -> Stream:
    stream.desired_state = desired
    stream.save(update_fields=["desired_state", "updated_at"])
    _record(stream, StreamEvent.Kind.COMMAND, verb, actor)
    if desired != Desired.STOPPED:
        _clear_backoff(stream)  # the operator acted: a failed stream gets its next try now
    holder = control.lease_holder(stream.pk)
    if holder is not None and desired != Desired.STOPPED:  # a stop is sent by _reconcile_stopped
        control.send_command(stream.pk, "restart" if restart else "sync")
    _reconcile(stream, holder)
    notify.status_changed(stream)
    return stream


def stream_delete(*, stream: Stream, actor: str = "") -> None:
    stream_id = stream.pk
    stream.delete()
    # The worker holding it wakes up, finds the stream gone and stops.
    control.send_command(stream_id, "sync")
    metrics_history.history_clear(stream_id=stream_id)
    notify.streams_changed(stream_id, "deleted")
    logger.info("Stream %s deleted by %s", stream_id, actor or "system")


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
        return _set_status(stream, status, reason, actor=worker)


def stream_report_failure(*, stream_id: int, holder: str, reason: str, worker: str = "") -> bool:
    """The pipeline could not run; the reconciler retries after an exponential backoff."""
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
        _record(stream, StreamEvent.Kind.ERROR, reason, worker)
        return _set_status(stream, Status.FAILED, reason, actor=worker)


def streams_reconcile() -> int:
    """Drive every stream's observed state toward its desired state; returns how many needed action."""
    streams = list(Stream.objects.all())
    holders = control.lease_holders([stream.pk for stream in streams])
    return sum(_reconcile(stream, holders[stream.pk]) for stream in streams)


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
            marked += _set_status(stream, Status.STOPPED, "")
        else:
            marked += _set_status(stream, Status.STARTING, reason)
    return marked


def stream_reconcile(*, stream_id: int) -> None:
    """Reconcile one stream now (after a change, or when its worker lets go of it)."""
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is not None:
        _reconcile(stream, control.lease_holder(stream_id))


def _reconcile(stream: Stream, holder: str | None) -> bool:
    """One stream, one step toward its desired state. True if something had to be done."""
    if stream.desired_state == Desired.STOPPED:
        return _reconcile_stopped(stream, holder)
    if holder is not None:
        return _nudge_if_lagging(stream)
    if stream.status == Status.FAILED and stream.retry_at and stream.retry_at > timezone.now():
        return False  # waiting out its backoff
    if not control.claim_dispatch(stream.pk, settings.STREAM_DISPATCH_TTL_S):
        return False  # a run task is already queued
    if stream.status in lifecycle.HELD_STATUSES:
        _record(stream, StreamEvent.Kind.ERROR, f"worker lost ({stream.worker or 'unknown'}); starting again", "")
    reason = f"retry {stream.failure_count}" if stream.status == Status.FAILED else ""
    _set_status(stream, Status.STARTING, reason)
    transaction.on_commit(lambda: dispatch_stream(stream.pk, stream.queue or settings.STREAMS_QUEUE))
    return True


def _reconcile_stopped(stream: Stream, holder: str | None) -> bool:
    if holder is not None:
        if stream.status != Status.STOPPING:
            _set_status(stream, Status.STOPPING, "")
        control.send_command(stream.pk, "sync")
        return True
    if stream.status != Status.STOPPED:
        _set_status(stream, Status.STOPPED, "")
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
    if lagging and changed_at and timezone.now() - changed_at > timedelta(seconds=3):
        control.send_command(stream.pk, "sync")
        return True
    return False


def _clear_backoff(stream: Stream) -> None:
    stream.failure_count, stream.retry_at = 0, None
    Stream.objects.filter(pk=stream.pk).update(failure_count=0, retry_at=None)


def _set_status(stream: Stream, status: str, reason: str, actor: str = "") -> bool:
    if not lifecycle.can_move(stream.status, status):
        logger.warning("Stream %s: refused move %s -> %s", stream.pk, stream.status, status)
        return False
    changed = (stream.status, stream.status_reason) != (status, reason[:500])
    stream.status, stream.status_reason = status, reason[:500]
    if status != Status.FAILED:
        stream.retry_at = None
    if status == Status.STOPPED:
        stream.worker = ""
    if changed:
        stream.status_changed_at = timezone.now()
    Stream.objects.filter(pk=stream.pk).update(
        status=stream.status,
        status_reason=stream.status_reason,
        status_changed_at=stream.status_changed_at,
        retry_at=stream.retry_at,
        worker=stream.worker,
        failure_count=stream.failure_count,
    )
    if changed:
        message = status + (f": {stream.status_reason}" if stream.status_reason else "")
        _record(stream, StreamEvent.Kind.STATE, message, actor)
        notify.status_changed(stream)
    return True


def _record(stream: Stream, kind: str, message: str, actor: str) -> None:
    StreamEvent.objects.create(stream=stream, kind=kind, message=redact_source(message)[:500], actor=actor[:200])


def stream_events_prune(*, keep: int) -> int:
    """Keep each stream's newest `keep` events."""
    deleted = 0
    for stream_id in Stream.objects.values_list("pk", flat=True):
        cutoff = StreamEvent.objects.filter(stream_id=stream_id).values_list("pk", flat=True)[keep : keep + 1]
        if cutoff:
            deleted += StreamEvent.objects.filter(stream_id=stream_id, pk__lte=cutoff[0]).delete()[0]
    return deleted


def worker_heartbeat(
    *, name: str, hostname: str, pid: int, queues: list[str], capacity: int, started_at: datetime
) -> WorkerNode:
    """Register a worker node, or refresh its heartbeat."""
    node, _ = WorkerNode.objects.update_or_create(
        name=name,
        defaults={
            "hostname": hostname,
            "pid": pid,
            "queues": queues,
            "capacity": capacity,
            "started_at": started_at,
            "heartbeat_at": timezone.now(),
        },
    )
    return node


def worker_gone(*, name: str) -> None:
    """A worker shutting down cleanly; one that was killed just stops beating and shows as offline."""
    WorkerNode.objects.filter(name=name).delete()


def demo_streams_ensure(*, videos: Iterable[Path], max_fps: float) -> list[Stream]:
    """On an empty database, one running demo stream per sample video."""
    if Stream.objects.exists():
        return []
    created = []
    for video in videos:
        name = "Demo: " + video.stem.replace("_", " ").replace("-", " ")
        created.append(stream_create(name=name[:100], source=str(video), max_fps=max_fps, actor="demo"))
    return created
