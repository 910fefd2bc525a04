"""One thread per worker process that writes events: the database rows (event + outbox, one transaction) and the
snapshot files, in the order the rules stage asked, so neither costs the frame path anything but a queue put.

The queue is bounded: when the database is stuck, updates (a better snapshot) are dropped first; a start or an
end that cannot be queued raises, so the sink counts it as the stage's error and the stream page shows it.
"""

import functools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

import numpy as np
from django import db

from events import occurrences, snapshots
from events.occurrences import Seen

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventOp:
    kind: Literal["start", "update", "end", "end_open"]
    stream_id: int
    event_id: str = ""
    rule_id: int = 0
    origin: str = ""
    seen: Seen | None = None
    image: np.ndarray | None = None  # start, update: the annotated frame of the best sighting
    at: float = 0.0  # unix time: start: first seen; end: last seen
    reason: str = ""  # end, end_open


class SubmitsEventOps(Protocol):
    def submit(self, op: EventOp) -> None: ...


class EventQueueFullError(RuntimeError):
    pass


def apply_op(op: EventOp) -> None:
    """Carry out one op: files first (a row never names a file that is not there), then the row."""
    if op.kind == "end_open":
        occurrences.events_end_open(stream_id=op.stream_id, reason=op.reason)
    elif op.kind == "end":
        occurrences.event_end(event_id=op.event_id, ended_at=_moment(op.at), reason=op.reason)
    elif op.kind == "start":
        _start(op)
    else:
        occurrences.event_update(event_id=op.event_id, seen=op.seen, save_snapshot=_snapshot_saver(op))


def _start(op: EventOp) -> None:
    started_at = _moment(op.at)
    files = None
    if op.image is not None:
        files = snapshots.snapshot_save(event_id=op.event_id, stream_id=op.stream_id, day=started_at.date(),
                                        image=op.image, box=op.seen.box)  # fmt: skip
    event = occurrences.event_start(
        event_id=op.event_id, rule_id=op.rule_id, origin=op.origin, seen=op.seen, started_at=started_at, snapshot=files
    )
    if event is None and files is not None:  # the rule was deleted meanwhile: nothing refers to the files
        for name in (files["snapshot"], files["thumbnail"]):
            path = snapshots.media_path(name)
            if path is not None:
                path.unlink(missing_ok=True)


def _snapshot_saver(op: EventOp) -> occurrences.SaveSnapshot | None:
    if op.image is None:
        return None
    return lambda event: snapshots.snapshot_save(
        event_id=str(event.pk), stream_id=event.stream_id, day=event.started_at.date(), image=op.image, box=op.seen.box
    )


def _moment(unix_time: float) -> datetime:
    return datetime.fromtimestamp(unix_time, tz=UTC)


class EventWriter:
    def __init__(self, *, ops: queue.Queue, apply: Callable[[EventOp], None] = apply_op) -> None:
        self._ops = ops
        self._apply = apply
        self.dropped = 0

    @classmethod
    def init(cls, *, maxsize: int = 256, start: bool = True) -> "EventWriter":
        writer = cls(ops=queue.Queue(maxsize=maxsize))
        if start:
            threading.Thread(target=writer._run, name="event-writer", daemon=True).start()
        return writer

    def submit(self, op: EventOp) -> None:
        try:
            self._ops.put_nowait(op)
        except queue.Full:
            if op.kind != "update":
                raise EventQueueFullError(f"event writer queue full; {op.kind} of event {op.event_id} lost") from None
            self.dropped += 1
            logger.warning("Event writer queue full: dropped an update of event %s", op.event_id)

    def drain(self) -> None:
        """Apply what is queued in the calling thread (a writer made with start=False, in tests)."""
        while True:
            try:
                op = self._ops.get_nowait()
            except queue.Empty:
                return
            self._apply_one(op)

    def wait_idle(self, timeout: float) -> bool:
        """True once every submitted op has been applied (tests and shutdown)."""
        with self._ops.all_tasks_done:
            return self._ops.all_tasks_done.wait_for(lambda: self._ops.unfinished_tasks == 0, timeout=timeout)

    def _run(self) -> None:
        while True:
            self._apply_one(self._ops.get())

    def _apply_one(self, op: EventOp) -> None:
        try:
            self._apply(op)
        except Exception:  # noqa: BLE001 - one bad write must not stop the writer
            logger.exception("Event writer: %s of event %s on stream %s failed", op.kind, op.event_id, op.stream_id)
        finally:
            db.close_old_connections()
            self._ops.task_done()


@functools.cache
def process_event_writer() -> EventWriter:
    """The one writer thread of this worker process, shared by the streams it runs."""
    return EventWriter.init()
