"""Writes: zones and lines (validated, logged, and applied to the running stream within a second), the
stream's analytics settings, resetting its counts, and adding the counts a worker flushes.

Every change of a zone, a line or a setting wakes the worker that holds the stream with a `sync` command: it
re-reads them and swaps its analysers between two frames, keeping the tracker and the state of every zone and
line that still exists. Nothing restarts.
"""

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from analytics import signals
from analytics.geometry import parse_points
from analytics.models import AnalyticsSettings, CountBucket, Line, Zone
from streams import audit, control
from streams.control import Command
from streams.models import Stream, StreamEvent

logger = logging.getLogger(__name__)

ShapeT = TypeVar("ShapeT", Zone, Line)
ZONE_FIELDS = frozenset({"name", "points", "classes", "anchor"})
LINE_FIELDS = ZONE_FIELDS | {"in_side"}
SETTINGS_FIELDS = frozenset({"tracking", "traces"})
DeltaKey = tuple[str, int, str, str, int]  # (kind, object id, class name, metric, minute as unix seconds)


def zone_create(*, stream: Stream, actor: str = "", **fields: object) -> Zone:
    """Validate and store a zone; the running stream counts it from the next frame. ValidationError if bad."""
    return _create(Zone(stream=stream), ZONE_FIELDS, fields, actor)


def zone_update(*, zone: Zone, actor: str = "", **changes: object) -> Zone:
    """Change a zone's shape, name, classes or anchor; its counts and the objects inside it are kept."""
    return _update(zone, ZONE_FIELDS, changes, actor)


def zone_delete(*, zone: Zone, actor: str = "") -> None:
    _delete(zone, CountBucket.Kind.ZONE, actor)


def line_create(*, stream: Stream, actor: str = "", **fields: object) -> Line:
    """Validate and store a line; the running stream counts crossings from the next frame."""
    return _create(Line(stream=stream), LINE_FIELDS, fields, actor)


def line_update(*, line: Line, actor: str = "", **changes: object) -> Line:
    return _update(line, LINE_FIELDS, changes, actor)


def line_delete(*, line: Line, actor: str = "") -> None:
    _delete(line, CountBucket.Kind.LINE, actor)


def settings_update(*, stream: Stream, actor: str = "", **changes: object) -> AnalyticsSettings:
    """Tracking on/off and traces on/off; they apply to the running stream within a second."""
    _refuse_unknown(changes, SETTINGS_FIELDS)
    row, _ = AnalyticsSettings.objects.get_or_create(stream=stream)
    changed = sorted(name for name, value in changes.items() if getattr(row, name) != value)
    for name in changed:
        setattr(row, name, changes[name])
    row.full_clean()
    if changed:
        row.save()
        message = "analytics " + ", ".join(f"{name}={getattr(row, name)!r}" for name in changed)
        _log_and_wake(stream, StreamEvent.Kind.CONFIG, message, actor)
    return row


def counts_reset(*, stream: Stream, actor: str = "") -> int:
    """Set every count of the stream's zones and lines back to zero; the event log records who did it."""
    with transaction.atomic():
        row, _ = AnalyticsSettings.objects.select_for_update().get_or_create(stream=stream)
        row.counts_reset_at = timezone.now()
        row.save(update_fields=["counts_reset_at"])
        deleted = CountBucket.objects.filter(stream=stream).delete()[0]
        _log_and_wake(stream, StreamEvent.Kind.COMMAND, "analytics counts reset", actor)
    logger.info("Stream %s: counts reset by %s (%s buckets)", stream.pk, actor or "system", deleted)
    return deleted


def counts_record(
    *, stream_id: int, deltas: Mapping[DeltaKey, int], collected_since: datetime,
    occupancy: Mapping[int, Mapping[str, int]] | None = None,
) -> int:
    """Add a worker's counts to their minute buckets; returns how many buckets it touched. `occupancy` (zone id
    -> class -> inside now) goes with them to the counts_recorded hook (analytics.signals), in the transaction.

    Counts collected (partly) before the stream's last reset are dropped: a reset means zero from then on.
    Counts of a zone or line deleted meanwhile are dropped too."""
    with transaction.atomic():
        if not Stream.objects.filter(pk=stream_id).exists():
            return 0
        reset_at = AnalyticsSettings.objects.filter(stream_id=stream_id).values_list("counts_reset_at", flat=True)
        if reset_at and reset_at[0] is not None and reset_at[0] > collected_since:
            logger.info("Stream %s: dropped counts collected before its reset", stream_id)
            return 0
        alive = _object_ids(stream_id)
        touched = 0
        for key, count in deltas.items():
            if count > 0 and (key[0], key[1]) in alive:
                _add(stream_id, key, count)
                touched += 1
        if touched:
            _send_counts_recorded(stream_id, occupancy or {})
        return touched


def _send_counts_recorded(stream_id: int, occupancy: Mapping[int, Mapping[str, int]]) -> None:
    try:
        with transaction.atomic():  # a savepoint: a failing receiver's rows go, the counts stay
            signals.counts_recorded.send(sender=CountBucket, stream_id=stream_id, occupancy=occupancy)
    except Exception:  # noqa: BLE001 - a hook must never undo or fail storing the counts
        logger.exception("Stream %s: a counts hook failed", stream_id)


def _add(stream_id: int, key: DeltaKey, count: int) -> None:
    kind, object_id, class_name, metric, minute_s = key
    lookup = {"kind": kind, "object_id": object_id, "class_name": class_name[:100], "metric": metric,
              "minute": datetime.fromtimestamp(minute_s, tz=UTC)}  # fmt: skip
    if CountBucket.objects.filter(**lookup).update(count=F("count") + count):
        return
    try:
        with transaction.atomic():  # a savepoint: another writer may create the same bucket first
            CountBucket.objects.create(stream_id=stream_id, count=count, **lookup)
    except IntegrityError:
        CountBucket.objects.filter(**lookup).update(count=F("count") + count)


def _object_ids(stream_id: int) -> set[tuple[str, int]]:
    found = set()
    for kind, model in ((CountBucket.Kind.ZONE, Zone), (CountBucket.Kind.LINE, Line)):
        found |= {(kind.value, pk) for pk in model.objects.filter(stream_id=stream_id).values_list("pk", flat=True)}
    return found


# --- Zones and lines alike -----------------------------------------------------------------------------------


def _create(shape: ShapeT, editable: frozenset[str], fields: Mapping[str, object], actor: str) -> ShapeT:
    _refuse_unknown(fields, editable)
    for name, value in _normalised(fields).items():
        setattr(shape, name, value)
    _check_name_free(shape)
    shape.full_clean()
    shape.save()
    _log_and_wake(shape.stream, StreamEvent.Kind.CONFIG, f"{_kind(shape)} {shape.name!r} created", actor)
    return shape


def _update(shape: ShapeT, editable: frozenset[str], changes: Mapping[str, object], actor: str) -> ShapeT:
    _refuse_unknown(changes, editable)
    values = _normalised(changes)
    changed = sorted(name for name, value in values.items() if getattr(shape, name) != value)
    for name in changed:
        setattr(shape, name, values[name])
    _check_name_free(shape)
    shape.full_clean()
    if changed:
        shape.save()
        message = f"{_kind(shape)} {shape.name!r} changed: {', '.join(changed)}"
        _log_and_wake(shape.stream, StreamEvent.Kind.CONFIG, message, actor)
    return shape


def _delete(shape: Zone | Line, kind: str, actor: str) -> None:
    stream, name = shape.stream, shape.name
    with transaction.atomic():
        CountBucket.objects.filter(kind=kind, object_id=shape.pk).delete()
        shape.delete()
        _log_and_wake(stream, StreamEvent.Kind.CONFIG, f"{kind} {name!r} deleted", actor)


def _normalised(fields: Mapping[str, object]) -> dict[str, object]:
    values = dict(fields)
    if isinstance(values.get("name"), str):
        values["name"] = values["name"].strip()
    if "points" in values:
        try:  # stored as [[x, y], ...] floats; the validators say what is wrong with anything else
            values["points"] = [[x, y] for x, y in parse_points(values["points"])]
        except ValidationError as error:
            raise ValidationError({"points": error.messages}) from None
    if values.get("classes") is None and "classes" in values:
        values["classes"] = []
    return values


def _check_name_free(shape: Zone | Line) -> None:
    taken = type(shape).objects.filter(stream_id=shape.stream_id, name=shape.name).exclude(pk=shape.pk).exists()
    if taken:
        raise ValidationError({"name": [f"This stream already has a {_kind(shape)} named {shape.name!r}."]})


def _refuse_unknown(fields: Mapping[str, object], editable: frozenset[str]) -> None:
    unknown = sorted(set(fields) - editable)
    if unknown:
        raise ValidationError({name: ["This field cannot be set here."] for name in unknown})


def _kind(shape: Zone | Line) -> str:
    return CountBucket.Kind.ZONE if isinstance(shape, Zone) else CountBucket.Kind.LINE


def _log_and_wake(stream: Stream, kind: str, message: str, actor: str) -> None:
    audit.event_record(stream=stream, kind=kind, message=message, actor=actor)
    stream_id = stream.pk
    # After the commit: the worker must read the change it is woken for.
    transaction.on_commit(lambda: _wake(stream_id))


def _wake(stream_id: int) -> None:
    try:
        control.send_command(stream_id, Command.SYNC)
    except Exception as error:  # noqa: BLE001 - stored is stored; the worker also re-reads on its next start
        logger.warning("Stream %s: could not wake its worker: %s", stream_id, error)
