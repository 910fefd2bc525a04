"""The rules stage in the sink (events/runtime/stage.py) with the event writer (events/runtime/writer.py): frames
with tracked objects in, events with snapshots and outbox messages in the database out."""

import datetime
import time

import cv2
import numpy as np
import pytest
import supervision as sv
from streamvision.camera.entities import VideoFrame

from core.frames import LiveSettings
from events import snapshots
from events.models import Event, OutboxMessage, Rule
from events.runtime.stage import RulesStage
from events.runtime.writer import EventWriter
from workers.framepath.annotate import FrameAnnotator
from workers.framepath.metrics import StreamMetrics
from workers.framepath.stages import FrameSink

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)


class FakeTracker:
    """Stands in for analytics' tracker (not merged yet): gives each box the tracker id its class_id holds."""

    name = "tracker"

    def analyse(self, ctx) -> None:
        ctx.detections.tracker_id = ctx.detections.class_id.copy()


class RecordingPublisher:
    def publish(self, group, message, timeout=2.0):
        return True


def _frame(index: int, fps: float = 10.0) -> VideoFrame:
    image = np.full((240, 320, 3), 90, np.uint8)
    return VideoFrame(image=image, frame_id=index, frame_timestamp=T0 + datetime.timedelta(seconds=index / fps))


def _people(*ids: int, score: float = 0.8) -> sv.Detections:
    boxes = np.array([[20.0 + 60 * n, 40.0, 70.0 + 60 * n, 200.0] for n in range(len(ids))]).reshape(-1, 4)
    return sv.Detections(xyxy=boxes, confidence=np.full(len(ids), score), class_id=np.array(ids, int),
                         data={"class_name": np.array(["person"] * len(ids))})  # fmt: skip


@pytest.fixture
def sink_and_writer(person_rule: Rule):
    writer = EventWriter.init(start=False)
    stage = RulesStage.init(stream_id=person_rule.stream_id, origin="holder-1", writer=writer)
    live = LiveSettings(confidence=0.25, iou=0.45, analysers=(FakeTracker(),))
    metrics = StreamMetrics(stream_id=person_rule.stream_id, interval_s=0)
    sink = FrameSink.init(stream_id=person_rule.stream_id, origin="holder-1", annotator=FrameAnnotator.init(),
                          publisher=RecordingPublisher(), metrics=metrics, live=live, watched=frozenset,
                          after=(stage,))  # fmt: skip
    return sink, writer, metrics


def test_a_tracked_person_in_view_makes_one_event_with_a_snapshot_and_its_messages(sink_and_writer):
    """GIVEN a stream with a person rule WHEN person 1 stays 3 s, person 2 joins for 1 s, then both leave THEN two
    events (one per tracked person, not per frame), each with a JPEG snapshot showing its box highlighted, and
    new/end messages in the outbox; nobody watched, yet the snapshots were drawn."""
    sink, writer, metrics = sink_and_writer
    frames = [_people(1)] * 10 + [_people(1, 2)] * 10 + [_people(1)] * 10 + [sv.Detections.empty()] * 30
    for index, detections in enumerate(frames):
        sink(detections, _frame(index))
    writer.drain()
    assert metrics.last_error == ""  # no stage failed
    events = list(Event.objects.order_by("tracker_id"))
    assert [(e.tracker_id, e.ended_at is not None) for e in events] == [(1, True), (2, True)]
    assert events[0].started_at == T0
    assert round((events[0].ended_at - events[0].started_at).total_seconds(), 1) == 2.9
    for event in events:
        image = cv2.imread(str(snapshots.media_path(event.snapshot)))
        x1, y1, _, _ = (int(v) for v in event.box)
        assert image.shape == (240, 320, 3)
        assert np.abs(image[y1 + 1, x1 + 10].astype(int) - np.array(snapshots.HIGHLIGHT_BGR)).max() < 60
        types = list(OutboxMessage.objects.filter(event_id=event.pk).values_list("type", flat=True))
        assert types[0] == "event.new" and types[-1] == "event.end"


def test_a_rebuilt_pipeline_ends_what_the_last_one_left_open(person_rule, sink_and_writer):
    """GIVEN an event in progress WHEN the stream's pipeline is built again THEN the new stage ends it at once."""
    sink, writer, _ = sink_and_writer
    sink(_people(1), _frame(0))
    writer.drain()
    RulesStage.init(stream_id=person_rule.stream_id, origin="holder-1", writer=writer)
    writer.drain()
    assert Event.objects.get().end_reason == "its pipeline restarted"


def test_rule_edits_apply_without_a_rebuild(person_rule, sink_and_writer):
    """GIVEN a running stage WHEN the rule is disabled and the refresh time passes THEN its open event ends and a
    new person raises nothing."""
    sink, writer, _ = sink_and_writer
    stage = sink.stages[-1]
    sink(_people(1), _frame(0))
    Rule.objects.filter(pk=person_rule.pk).update(enabled=False)
    stage.clock = lambda: time.monotonic() + 60  # the refresh time has passed
    sink(_people(3), _frame(1))
    writer.drain()
    assert [(e.tracker_id, e.end_reason) for e in Event.objects.all()] == [(1, "rule deleted or disabled")]
