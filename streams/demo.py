"""Demo streams for a first `make run`: one per sample video, on an empty database only."""

from collections.abc import Iterable
from pathlib import Path

from streams.models import Stream
from streams.services import stream_create


def demo_streams_ensure(*, videos: Iterable[Path], max_fps: float) -> list[Stream]:
    """On an empty database, one running demo stream per sample video."""
    if Stream.objects.exists():
        return []
    created = []
    for video in videos:
        name = "Demo: " + video.stem.replace("_", " ").replace("-", " ")
        created.append(stream_create(name=name[:100], source=str(video), max_fps=max_fps, actor="demo"))
    return created
