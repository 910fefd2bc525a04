"""What a first `make run` shows: the demo streams (streams.demo), each with what its sample clip is good for.

- "Highway" (traffic_highway.mp4), at DEMO_COUNTING_FPS (where tracking counts right): tracking, a counting
  line across the carriageway and a "line crossed" rule on it. Eleven vehicles cross it in each 11 s pass of
  the clip: its counts move and its events (each with a snapshot) appear within seconds of the first frame.
- "People" (one-by-one-person-detection.mp4), at DEMO_MAX_FPS: tracking, a zone on the floor at the table and
  a "person appears" rule on it. Six people come to the table one at a time (the first 7 s into the clip) and
  stay 10 to 20 s: each is one event in progress meanwhile, which lights the alert badge on the wall.
- Any other sample video: detections only, at DEMO_MAX_FPS.

Set up through the analytics and events services, as an operator would; all of it stored before the streams
start (one transaction), so their first frames already count.
"""

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from analytics import services as analytics_services
from events import services as events_services
from events.kinds import RuleKind
from streams import demo
from streams.models import Stream

logger = logging.getLogger(__name__)

COUNTING_CLIP, PEOPLE_CLIP = "traffic_highway.mp4", "one-by-one-person-detection.mp4"
# The line whose crossings were counted by eye (tests/analytics/runtime/data/traffic_highway_line.json): y = 0.5,
# edge line to edge line of the four lanes coming towards the camera; "in" is towards the camera (all of them).
CARRIAGEWAY_LINE = {
    "name": "Carriageway", "points": [[0.16, 0.5], [0.84, 0.5]], "in_side": "right", "anchor": "BOTTOM_CENTER",
}  # fmt: skip
# The floor in front of the table, where each visitor stands: the detector puts their feet (the boxes' bottom
# centre) at x 0.56-0.63, y 0.87-0.92 there, at y 0.99-1.0 while they walk in from the bottom edge and at x 0.8
# or more as they leave to the right, both outside it.
TABLE_ZONE = {
    "name": "Table", "points": [[0.45, 0.78], [0.75, 0.78], [0.78, 0.96], [0.42, 0.96]], "classes": ["person"],
    "anchor": "BOTTOM_CENTER",
}  # fmt: skip


# Short: a wall tile shows some 12 characters of a name beside its "Demo" tag and status.
NAMES = {COUNTING_CLIP: "Highway", PEOPLE_CLIP: "People"}


def demo_video(video: Path) -> demo.DemoVideo:
    """A sample video's demo stream: its name, and its rate (tracking's for the one that counts, less otherwise)."""
    name = NAMES.get(video.name) or video.stem.replace("_", " ").replace("-", " ").capitalize()
    rate = settings.DEMO_COUNTING_FPS if video.name == COUNTING_CLIP else settings.DEMO_MAX_FPS
    return demo.DemoVideo(name=name, video=video, max_fps=rate)


def demo_ensure(*, videos: Iterable[Path]) -> list[Stream]:
    """On an empty database: a demo stream per sample video that exists, each with its showcase; nothing else."""
    with transaction.atomic():
        streams = demo.demo_streams_ensure(videos=[demo_video(video) for video in videos if video.is_file()])
        for stream in streams:
            _showcase(stream)
    return streams


def _showcase(stream: Stream) -> None:
    """The clip's zones, lines and rules. One the model cannot have (a custom model without "person", say) is
    left out, with a warning: the stream still shows its detections."""
    setup = SHOWCASES.get(Path(stream.source).name)
    if setup is None:
        return
    try:
        with transaction.atomic():  # all of the showcase or none of it
            setup(stream)
    except ValidationError as error:
        logger.warning("Demo %s: left without its zones, lines and rules: %s", stream.name, error)


def _counting(stream: Stream) -> None:
    analytics_services.settings_update(stream=stream, actor=demo.DEMO_ACTOR, tracking=True)
    line = analytics_services.line_create(stream=stream, actor=demo.DEMO_ACTOR, **CARRIAGEWAY_LINE)
    events_services.rule_create(stream=stream, actor=demo.DEMO_ACTOR, name="Vehicle crosses the line",
                                kind=RuleKind.LINE_CROSSED, line=line)  # fmt: skip


def _people(stream: Stream) -> None:
    analytics_services.settings_update(stream=stream, actor=demo.DEMO_ACTOR, tracking=True)
    zone = analytics_services.zone_create(stream=stream, actor=demo.DEMO_ACTOR, **TABLE_ZONE)
    events_services.rule_create(stream=stream, actor=demo.DEMO_ACTOR, name="Person at the table",
                                kind=RuleKind.OBJECT, classes=["person"], zone=zone)  # fmt: skip


SHOWCASES: dict[str, Callable[[Stream], None]] = {COUNTING_CLIP: _counting, PEOPLE_CLIP: _people}
