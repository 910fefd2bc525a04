"""Fixtures of the events tests (tests/events/conftest.py and the dashboard tests of events import them): a stream,
test's own, and events made the way a pipeline's writer makes them."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from catalog.models import InferenceModel
from events import occurrences, snapshots
from events.models import Event, Rule
from events.occurrences import Seen
from streams import services as stream_services
from streams.models import Stream

COCO_SOME = ["person", "bicycle", "car", "motorcycle", "bus", "truck", "dog", "tie"]


@pytest.fixture
def events_media(settings, tmp_path: Path) -> Path:
    settings.EVENTS_MEDIA_DIR = tmp_path / "events-media"
    return settings.EVENTS_MEDIA_DIR


@pytest.fixture
def coco_catalog(db, settings) -> InferenceModel:
    return InferenceModel.objects.create(
        name=settings.TRITON_MODEL_NAME, class_names=COCO_SOME, state=InferenceModel.State.READY
    )


@pytest.fixture
def event_stream(db, settings, tmp_path: Path) -> Stream:
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"x")
    return stream_services.stream_create(name="lobby", source=str(tmp_path / "clip.mp4"), start=False)


@pytest.fixture
def person_rule(event_stream: Stream, coco_catalog, events_media) -> Rule:
    return Rule.objects.create(stream=event_stream, name="person", kind=Rule.Kind.OBJECT, classes=["person"])


@pytest.fixture
def make_event(person_rule: Rule) -> Callable[..., Event]:
    """An object event as a pipeline's writer makes it: snapshot files first, then the row and its outbox."""

    def make(*, started_at: datetime | None = None, origin: str = "holder-1", image_kb: int = 0, **seen) -> Event:
        event_id = str(uuid.uuid4())
        started_at = started_at or datetime.now(UTC)
        files = None
        if image_kb:
            noise = np.random.default_rng(7).integers(0, 255, (120, int(image_kb * 3)), np.uint8)
            image = np.dstack([noise] * 3)
            files = snapshots.snapshot_save(event_id=event_id, stream_id=person_rule.stream_id,
                                            day=started_at.date(), image=image, box=[5, 5, 50, 50])  # fmt: skip
        fields = {"class_name": "person", "tracker_id": 7, "score": 0.8, "box": [5.0, 5.0, 50.0, 50.0], **seen}
        return occurrences.event_start(event_id=event_id, rule_id=person_rule.pk, origin=origin, seen=Seen(**fields),
                                     started_at=started_at, snapshot=files)  # fmt: skip

    return make


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
