"""Demo streams for a first `make run`: one per sample video, on an empty database only, marked `demo`; and their
removal in one go (the wall's "Remove demo streams", DELETE /api/streams/demo/). What each demo shows on its
clip (zones, lines, rules) is put on them by dashboard/demo.py, which may import analytics and events."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from streams.models import Stream, StreamEvent
from streams.services import stream_create, stream_delete

logger = logging.getLogger(__name__)

DEMO_ACTOR = "demo"


@dataclass(frozen=True)
class DemoVideo:
    """A demo stream to make: its name, its sample video and the max fps it runs at."""

    name: str
    video: Path
    max_fps: float


def demo_streams_ensure(*, videos: Iterable[DemoVideo]) -> list[Stream]:
    """On an empty database, one demo stream per sample video. They start when the outermost transaction commits,
    so what a caller adds to them within it is there from their first frame."""
    if Stream.objects.exists():
        return []
    with transaction.atomic():
        return [_demo_create(each) for each in videos]


def _demo_create(each: DemoVideo) -> Stream:
    stream = stream_create(name=each.name[:100], source=str(each.video), max_fps=each.max_fps, actor=DEMO_ACTOR)
    # The flag is no operator's field (streams.services.StreamFields): only a demo is made with it.
    Stream.objects.filter(pk=stream.pk).update(demo=True)
    stream.demo = True
    return stream


def demo_streams_remove(*, actor: str) -> list[str]:
    """Delete every demo stream, which stops it (its worker wakes, finds it gone and stops), with its zones,
    lines, rules, events and counts (their foreign keys cascade). Returns the names removed, oldest first."""
    demos = list(Stream.objects.filter(demo=True).order_by("pk"))
    names = [stream.name for stream in demos if stream_delete(stream=stream, actor=actor)]
    if names:
        _record_removal(names, actor)
    return names


def _record_removal(names: list[str], actor: str) -> None:
    """One entry in the event log, of no stream: each stream's own log goes with it."""
    message = "demo streams removed: " + ", ".join(names)
    StreamEvent.objects.create(stream=None, kind=StreamEvent.Kind.COMMAND, message=message[:500], actor=actor[:200])
    logger.info("%s by %s", message, actor or "system")
