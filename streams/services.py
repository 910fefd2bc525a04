"""The operator's writes: create, change, delete streams and command them. Views, the API and the admin
call these.

A command sets the desired state, records who gave it, and has the reconciler step that one stream at once
(queue a run task, or wake the worker that holds it). Observed status is written only by `streams.status`.

Commands on one stream are totally ordered: each bumps `desired_version` by compare-and-set, in the same
transaction as its event, so the newest logged command is the one whose desired state is stored, and the
reconciler drops a status decision taken on an older version.
"""

import logging
from typing import Required, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from streams import audit, control, lifecycle, metrics_history, notify, reconciler
from streams.control import Command
from streams.models import Stream, StreamEvent
from streams.sources import redact_source

logger = logging.getLogger(__name__)

Desired = Stream.DesiredState

# Changing these rebuilds a running stream's pipeline; the live ones apply to the next frame.
PIPELINE_FIELDS = frozenset({"source", "max_fps", "model"})
LIVE_FIELDS = frozenset({"confidence", "classes"})
EDITABLE_FIELDS = PIPELINE_FIELDS | LIVE_FIELDS | {"name", "queue"}
# The stream page's live settings: what an operator may change (the rest is an admin's).
TUNABLE_FIELDS = LIVE_FIELDS | {"max_fps"}


class StreamFields(TypedDict, total=False):
    """What an operator sets when creating a stream (missing ones take their defaults)."""

    name: Required[str]
    source: Required[str]
    max_fps: float | None
    confidence: float | None
    classes: list[str] | None
    model: str
    queue: str


def stream_create(*, start: bool = True, actor: str = "", **fields: Unpack[StreamFields]) -> Stream:
    """Validate and store a stream; start it unless `start` is False. Invalid input raises ValidationError."""
    stream = _new_stream(**fields)
    stream.desired_state = Desired.RUNNING if start else Desired.STOPPED
    stream.full_clean()
    stream.save()
    logger.info("Stream %s (%s) created", stream.pk, stream.name)
    message = "created" + ("" if start else " (start disabled)")
    audit.event_record(stream=stream, kind=StreamEvent.Kind.COMMAND, message=message, actor=actor)
    notify.streams_changed(stream.pk, "created")
    if start:
        transaction.on_commit(lambda: reconciler.stream_reconcile(stream_id=stream.pk))
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


def _new_stream(**fields: Unpack[StreamFields]) -> Stream:
    unknown = sorted(set(fields) - set(StreamFields.__annotations__))
    if unknown:
        raise TypeError(f"unexpected field(s): {', '.join(unknown)}")
    confidence, classes = fields.get("confidence"), fields.get("classes")
    return Stream(
        name=(fields.get("name") or "").strip(),
        source=(fields.get("source") or "").strip(),
        max_fps=fields.get("max_fps"),
        confidence=settings.DEFAULT_CONFIDENCE if confidence is None else confidence,
        classes=[] if classes is None else classes,
        model=(fields.get("model") or "").strip(),
        queue=(fields.get("queue") or "").strip(),
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
    # Only the changed fields: a whole-row save would write back a desired state a command changed meanwhile.
    stream.save(update_fields=[*changed, "updated_at"])
    message = "changed " + _describe_changes(stream, changed)
    audit.event_record(stream=stream, kind=StreamEvent.Kind.CONFIG, message=message, actor=actor)
    notify.streams_changed(stream.pk, "updated")
    if stream.desired_state in lifecycle.ACTIVE_DESIRED:
        transaction.on_commit(lambda: _apply_changes(stream.pk, set(changed)))
    return stream


def _describe_changes(stream: Stream, changed: list[str]) -> str:
    shown = {field: redact_source(stream.source) if field == "source" else getattr(stream, field) for field in changed}
    return ", ".join(f"{field}={value!r}" for field, value in shown.items())


def _apply_changes(stream_id: int, changed: set[str]) -> None:
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is None:
        return
    if "queue" in changed:
        wake = Command.RELEASE
    elif changed & PIPELINE_FIELDS:
        wake = Command.RESTART
    else:
        wake = Command.SYNC
    reconciler.stream_reconcile_changed(stream=stream, wake=wake)


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
    return _command(stream, Desired.RUNNING, "restart", actor, wake=Command.RESTART)


def _command(stream: Stream, desired: str, verb: str, actor: str, wake: Command = Command.SYNC) -> Stream:
    """The stream as the command was accepted (its desired state and version; the status as it is now).
    Raises Stream.DoesNotExist if the stream was deleted meanwhile."""
    # Committed before the reconciler runs: the worker woken below must read this desired state.
    with transaction.atomic():
        _desired_write(stream, desired)
        audit.event_record(stream=stream, kind=StreamEvent.Kind.COMMAND, message=verb, actor=actor)
    accepted, shown = (stream.desired_state, stream.desired_version), (stream.status, stream.status_reason)
    reconciler.stream_reconcile_changed(stream=stream, wake=wake)  # reads the newest command's state
    if (stream.status, stream.status_reason) == shown:
        notify.status_changed(stream)  # only the desired state changed; a status change has told already
    stream.desired_state, stream.desired_version = accepted  # a later command may have superseded it already
    return stream


def _desired_write(stream: Stream, desired: str) -> None:
    """Store `desired` as the next desired version (compare-and-set: a concurrent command that committed first
    makes this one retry on top of it, so it becomes the later one)."""
    fields: dict[str, object] = {"desired_state": desired, "updated_at": timezone.now()}
    if desired != Desired.STOPPED:  # the operator acted: a failed stream gets its next try now
        fields |= {"failure_count": 0, "retry_at": None}
    while True:
        seen = Stream.objects.filter(pk=stream.pk).values_list("desired_version", flat=True).first()
        if seen is None:
            raise Stream.DoesNotExist(f"stream {stream.pk} was deleted")
        if Stream.objects.filter(pk=stream.pk, desired_version=seen).update(desired_version=seen + 1, **fields):
            for field, value in {**fields, "desired_version": seen + 1}.items():
                setattr(stream, field, value)
            return


def stream_delete(*, stream: Stream, actor: str = "") -> bool:
    """Delete a stream whose worker may be writing its counts and events this very moment; False if someone
    else deleted it first. A delete collects the rows that go with the stream, then deletes them all: a count or
    an event written in between would be left pointing at nothing and fail the whole delete ("FOREIGN KEY
    constraint failed"). Locked first (SQLite: the transaction's write lock; PostgreSQL: the stream's row, which
    inserting a row that refers to it must share), those writes wait until it is gone."""
    stream_id = stream.pk
    with transaction.atomic():
        if not Stream.objects.select_for_update().filter(pk=stream_id).exists():
            return False
        stream.delete()
    # After the commit: the worker holding it wakes up, finds the stream gone and stops.
    control.send_command(stream_id, Command.SYNC)
    metrics_history.history_clear(stream_id=stream_id)
    notify.streams_changed(stream_id, "deleted")
    logger.info("Stream %s deleted by %s", stream_id, actor or "system")
    return True
