"""Writes to streams. Views, the API, the admin and the launcher call these; workers report through them too."""

import logging
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from streams import control
from streams.dispatch import dispatch_stream
from streams.models import Stream

logger = logging.getLogger(__name__)

# Changing these while a stream runs rebuilds its pipeline.
PIPELINE_FIELDS = ("source", "max_fps", "confidence")


def stream_create(
    *,
    name: str,
    source: str,
    max_fps: float | None = None,
    confidence: float | None = None,
    start: bool = True,
) -> Stream:
    """Validate and store a stream; start it unless `start` is False. Invalid input raises ValidationError."""
    stream = Stream(
        name=(name or "").strip(),
        source=(source or "").strip(),
        max_fps=max_fps,
        confidence=settings.DEFAULT_CONFIDENCE if confidence is None else confidence,
        desired_state=Stream.DesiredState.RUNNING if start else Stream.DesiredState.STOPPED,
    )
    stream.full_clean()
    stream.save()
    logger.info("Stream %s (%s) created", stream.pk, stream.name)
    if start:
        transaction.on_commit(lambda: stream_start(stream=stream))
    return stream


def stream_update(*, stream: Stream, **changes: object) -> Stream:
    """Apply field changes after validation; a running stream picks up pipeline changes at once."""
    changed = [field for field, value in changes.items() if getattr(stream, field) != value]
    for field in changed:
        setattr(stream, field, changes[field])
    stream.full_clean()
    stream.save()
    if stream.desired_state == Stream.DesiredState.RUNNING and set(changed) & set(PIPELINE_FIELDS):
        if control.lease_holder(stream.pk) is None:
            # Nobody runs it (it failed, say): the corrected settings deserve a fresh start.
            stream_start(stream=stream)
        else:
            control.send_command(stream.pk, "restart")
    return stream


def stream_start(*, stream: Stream) -> Stream:
    """Ask for the stream to run. Idempotent: a stream already held by a worker is left as it is."""
    stream.desired_state = Stream.DesiredState.RUNNING
    stream.save(update_fields=["desired_state", "updated_at"])
    control.clear_command(stream.pk)
    if control.lease_holder(stream.pk) is None:
        _set_status(stream, Stream.Status.STARTING, "")
        dispatch_stream(stream.pk)
    return stream


def stream_stop(*, stream: Stream) -> Stream:
    """Ask for the stream to stop. Idempotent; the worker holding it stops its pipeline within a second."""
    stream.desired_state = Stream.DesiredState.STOPPED
    stream.save(update_fields=["desired_state", "updated_at"])
    if control.lease_holder(stream.pk) is None:
        _set_status(stream, Stream.Status.STOPPED, "")
    else:
        _set_status(stream, Stream.Status.STOPPING, "")
        control.send_command(stream.pk, "stop")
    return stream


def stream_delete(*, stream: Stream) -> None:
    stream_id = stream.pk
    stream.delete()
    # A worker still holding it sees the stream gone and stops.
    control.send_command(stream_id, "stop")
    logger.info("Stream %s deleted", stream_id)


def stream_report_status(*, stream_id: int, status: str, reason: str = "") -> None:
    """Called by the worker that holds the stream's lease."""
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is not None:
        _set_status(stream, status, reason)


def streams_resume_desired() -> int:
    """Start every stream that should run but no worker holds (after a restart of the whole system)."""
    resumed = 0
    for stream in Stream.objects.filter(desired_state=Stream.DesiredState.RUNNING):
        if control.lease_holder(stream.pk) is None:
            stream_start(stream=stream)
            resumed += 1
    for stream in Stream.objects.filter(desired_state=Stream.DesiredState.STOPPED).exclude(
        status=Stream.Status.STOPPED
    ):
        if control.lease_holder(stream.pk) is None:
            _set_status(stream, Stream.Status.STOPPED, "")
    return resumed


def demo_streams_ensure(*, videos: Iterable[Path], max_fps: float) -> list[Stream]:
    """On an empty database, one running demo stream per sample video."""
    if Stream.objects.exists():
        return []
    created = []
    for video in videos:
        name = "Demo: " + video.stem.replace("_", " ").replace("-", " ")
        created.append(stream_create(name=name[:100], source=str(video), max_fps=max_fps))
    return created


def _set_status(stream: Stream, status: str, reason: str) -> None:
    stream.status = status
    stream.status_reason = reason[:500]
    stream.status_changed_at = timezone.now()
    Stream.objects.filter(pk=stream.pk).update(
        status=status, status_reason=stream.status_reason, status_changed_at=stream.status_changed_at
    )
