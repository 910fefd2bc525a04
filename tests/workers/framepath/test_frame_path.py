"""The frame path after inference: analysers and stages join without an edit of the sink, are swapped live,
draw once and only when watched, and a failing one is counted, never raised. Fake analysers, real sink."""

import datetime

import cv2
import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame

from core.frames import FrameContext, LiveSettings
from tests.workers.framepath.test_stages import RecordingPublisher
from workers.framepath.annotate import FrameAnnotator
from workers.framepath.metrics import StreamMetrics
from workers.framepath.stages import FramePainter, FrameSink, PublishFrame


class FakeTracker:
    """Numbers the boxes, as a tracker sets tracker_id."""

    name = "tracker"

    def analyse(self, ctx: FrameContext) -> None:
        ctx.detections.tracker_id = np.arange(1, len(ctx.detections) + 1)


class FakeZoneCounter:
    """Counts tracked boxes whose left edge is in the left half of the frame; draws its zone when asked."""

    name = "zone"

    def __init__(self) -> None:
        self.drawn = 0

    def analyse(self, ctx: FrameContext) -> None:
        width, _ = ctx.frame_size
        inside = ctx.detections.xyxy[:, 0] < width / 2
        ctx.facts[self.name] = {"count": int(inside.sum()), "ids": ctx.detections.tracker_id[inside].tolist(),
                                "at": ctx.at}  # fmt: skip

    def draw(self, image: np.ndarray, ctx: FrameContext) -> np.ndarray:
        self.drawn += 1
        width, height = ctx.frame_size
        return cv2.rectangle(image, (0, 0), (width // 2 - 1, height - 1), (255, 255, 255), thickness=-1)


class Broken:
    name = "broken"

    def analyse(self, ctx: FrameContext) -> None:
        raise ValueError("zone polygon has 2 points")


class Recorder:
    """A later stage (as events will be): keeps what each frame's context held when it got there."""

    name = "recorder"

    def __init__(self, *, snapshot: bool = False) -> None:
        self.seen: list[dict] = []
        self._snapshot = snapshot

    def __call__(self, ctx: FrameContext) -> None:
        image = ctx.annotated() if self._snapshot else None
        self.seen.append({"facts": dict(ctx.facts), "tracker_id": ctx.detections.tracker_id, "image": image})


def frame(frame_id: int, width: int = 320, height: int = 240) -> VideoFrame:
    stamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC) + datetime.timedelta(seconds=frame_id)
    return VideoFrame(image=np.zeros((height, width, 3), np.uint8), frame_id=frame_id, frame_timestamp=stamp)


def two_cars() -> sv.Detections:
    return sv.Detections(xyxy=np.array([[10, 10, 50, 50], [200, 10, 260, 50]], np.float32),
                         confidence=np.array([0.9, 0.8], np.float32), class_id=np.array([2, 2]),
                         data={"class_name": np.array(["car", "car"])})  # fmt: skip


def build(*analysers, watched=frozenset(), after=()):  # noqa: ANN001, ANN202
    metrics = StreamMetrics(stream_id=3, interval_s=0)
    live = LiveSettings(confidence=0.25, iou=0.45, analysers=tuple(analysers))
    publisher = RecordingPublisher()
    sink = FrameSink.init(stream_id=3, origin="h", annotator=FrameAnnotator.init(), publisher=publisher,
                          metrics=metrics, live=live, watched=lambda: watched, after=after)  # fmt: skip
    return sink, live, metrics, publisher


def test_analysers_and_a_later_stage_join_without_touching_the_sink():
    """GIVEN the standard sink with a tracker and a zone counter as live analysers and a recording stage after it
    WHEN a frame with two cars passes
    THEN the tracker's ids and the counter's facts (with the frame's size and capture time) reach the later
    stage, and the frame is still counted in the metrics."""
    recorder = Recorder()
    sink, _, metrics, _ = build(FakeTracker(), FakeZoneCounter(), after=[recorder])

    sink(two_cars(), frame(1))

    (seen,) = recorder.seen
    assert seen["tracker_id"].tolist() == [1, 2]
    assert seen["facts"]["zone"] == {"count": 1, "ids": [1], "at": frame(1).frame_timestamp.timestamp()}
    assert metrics.frames_total == 1 and sink.first_frame.is_set()


def test_analysers_swapped_live_apply_from_the_next_frame():
    """GIVEN a running sink with no analysers
    WHEN the runner puts a new analyser tuple into the live settings between two frames
    THEN the first frame had no facts and the second has the counter's, with no new sink."""
    recorder = Recorder()
    sink, live, _, _ = build(after=[recorder])

    sink(two_cars(), frame(1))
    live.analysers = (FakeTracker(), FakeZoneCounter())
    sink(two_cars(), frame(2))

    assert recorder.seen[0]["facts"] == {}
    assert recorder.seen[1]["facts"]["zone"]["count"] == 1


def test_an_analyser_that_raises_is_counted_and_the_others_still_run():
    """GIVEN a broken analyser before a working tracker and counter
    WHEN frames pass
    THEN the sink does not raise, each failure is counted like an inference error and named in the last error,
    and the analysers after it still produced their facts."""
    recorder = Recorder()
    sink, _, metrics, _ = build(Broken(), FakeTracker(), FakeZoneCounter(), after=[recorder])

    sink(two_cars(), frame(1))
    sink(two_cars(), frame(2))

    message = metrics.snapshot_if_due()
    assert message["inference_errors"] == 2
    assert message["last_error"] == "analyser broken: ValueError: zone polygon has 2 points"
    assert all(seen["facts"]["zone"]["count"] == 1 for seen in recorder.seen)
    assert metrics.frames_total == 2


def test_a_stage_that_raises_is_counted_and_the_next_stage_still_runs():
    """GIVEN a sink whose stages are a failing one and a recorder
    WHEN a frame passes
    THEN the error is counted with the stage's name and the recorder still saw the frame."""

    def failing(ctx: FrameContext) -> None:
        raise RuntimeError("webhook down")

    failing.name = "events"  # type: ignore[attr-defined]
    metrics = StreamMetrics(stream_id=3, interval_s=0)
    recorder = Recorder()
    sink = FrameSink(stages=[failing, recorder], live=LiveSettings(confidence=0.25, iou=0.45),
                     painter=FramePainter(FrameAnnotator.init(), metrics), metrics=metrics)  # fmt: skip

    sink(two_cars(), frame(1))

    assert len(recorder.seen) == 1
    assert metrics.snapshot_if_due()["last_error"] == "stage events: RuntimeError: webhook down"


def test_overlays_are_drawn_once_per_frame_and_only_while_watched():
    """GIVEN a zone counter that draws its zone white over the left half
    WHEN a frame passes unwatched, then one passes watched at both sizes with a later stage that also wants the
    annotated frame (an event snapshot)
    THEN nothing is drawn for the first; the second is drawn exactly once, the snapshot is that drawing, and the
    published full-size JPEG shows the zone."""
    zone = FakeZoneCounter()
    sink, _, _, publisher = build(FakeTracker(), zone)
    sink(two_cars(), frame(1))
    assert zone.drawn == 0 and publisher.sent == []

    snapshots = Recorder(snapshot=True)
    sink, _, _, publisher = build(FakeTracker(), zone, watched=frozenset({"full", "tile"}), after=[snapshots])
    sink(two_cars(), frame(2))

    assert zone.drawn == 1
    assert sink.stage(PublishFrame).encoded == {"full": 1, "tile": 1}
    full = next(message for group, message in publisher.sent if group.endswith(".full"))
    picture = cv2.imdecode(np.frombuffer(full["jpeg"], np.uint8), cv2.IMREAD_COLOR)
    assert picture[120, 60].min() > 200 and picture[120, 300].max() < 60  # zone white, right half still black
    snapshot = snapshots.seen[0]["image"]
    assert snapshot[120, 60].tolist() == [255, 255, 255]
