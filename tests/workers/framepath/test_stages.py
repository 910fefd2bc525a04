import datetime

import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame

from core.frames import LiveSettings
from workers.framepath.metrics import StreamMetrics
from workers.framepath.stages import FrameInference


class UnreachableTriton:
    """Stands in for a Triton server that went away: outside our reach, so it is the part we fake."""

    def detect(self, images_bgr, *, confidence, iou, classes=None):
        raise ConnectionRefusedError("[Errno 111] Connection refused")


def _frame(frame_id: int) -> VideoFrame:
    return VideoFrame(
        image=np.zeros((72, 128, 3), np.uint8), frame_id=frame_id, frame_timestamp=datetime.datetime.now()
    )


def test_inference_errors_are_counted_and_shown_never_raised():
    """GIVEN a detector that fails WHEN frames go through FrameInference THEN each frame passes on with no
    detections, and the metrics count the errors and show the last one."""
    metrics = StreamMetrics(stream_id=1, interval_s=0)
    inference = FrameInference(UnreachableTriton(), metrics, LiveSettings(confidence=0.25, iou=0.45))
    for frame_id in (1, 2):
        result = inference([_frame(frame_id)])
        assert len(result) == 1 and isinstance(result[0], sv.Detections) and len(result[0]) == 0
    message = metrics.snapshot_if_due()
    assert message["inference_errors"] == 2
    assert "Connection refused" in message["last_error"]


class RecordingPublisher:
    """Keeps what would go to the channel layer (the layer itself is exercised in test_fanout.py)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def publish(self, group, message, timeout=2.0):
        self.sent.append((group, message))
        return True


def _sink(watched):
    from workers.framepath.annotate import FrameAnnotator
    from workers.framepath.stages import FrameSink

    publisher = RecordingPublisher()
    metrics = StreamMetrics(stream_id=7, interval_s=0)
    sink = FrameSink.init(stream_id=7, origin="holder-1", annotator=FrameAnnotator.init(), publisher=publisher,
                          metrics=metrics, live=LiveSettings(confidence=0.25, iou=0.45), watched=watched)
    return sink, publisher, metrics


def _encoded(sink) -> dict:
    from workers.framepath.stages import PublishFrame

    return dict(sink.stage(PublishFrame).encoded)


def _big_frame(frame_id: int) -> VideoFrame:
    return VideoFrame(
        image=np.zeros((720, 1280, 3), np.uint8), frame_id=frame_id, frame_timestamp=datetime.datetime.now()
    )


def test_sink_encodes_nothing_while_nobody_watches_but_still_counts():
    """GIVEN nobody watching WHEN frames reach the sink THEN nothing is encoded or sent, the frames are
    counted, and the stream still reports that frames flow."""
    sink, publisher, metrics = _sink(lambda: frozenset())
    sink(sv.Detections.empty(), _big_frame(1))
    assert publisher.sent == [] and sum(_encoded(sink).values()) == 0
    assert metrics.frames_total == 1 and sink.first_frame.is_set()


def test_sink_encodes_each_watched_size_once_to_its_own_group():
    """GIVEN full-size and tile viewers WHEN one frame reaches the sink THEN one JPEG per size goes to that
    size's group, the tile one 480 px wide, each carrying the origin and its size."""
    import cv2

    sink, publisher, _ = _sink(lambda: frozenset({"full", "tile"}))
    sink(sv.Detections.empty(), _big_frame(5))
    assert _encoded(sink) == {"full": 1, "tile": 1}
    by_group = {group: message for group, message in publisher.sent}
    assert set(by_group) == {"stream-7.frames.full", "stream-7.frames.tile"}
    tile = by_group["stream-7.frames.tile"]
    decoded = cv2.imdecode(np.frombuffer(tile["jpeg"], np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (270, 480, 3)
    assert (tile["size"], tile["origin"], tile["frame_id"]) == ("tile", "holder-1", 5)
