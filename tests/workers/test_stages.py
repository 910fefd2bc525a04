import datetime

import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame

from workers.metrics import StreamMetrics
from workers.stages import FrameInference


class UnreachableTriton:
    """Stands in for a Triton server that went away: outside our reach, so it is the part we fake."""

    def detect(self, images_bgr, *, confidence, iou):
        raise ConnectionRefusedError("[Errno 111] Connection refused")


def _frame(frame_id: int) -> VideoFrame:
    return VideoFrame(
        image=np.zeros((72, 128, 3), np.uint8), frame_id=frame_id, frame_timestamp=datetime.datetime.now()
    )


def test_inference_errors_are_counted_and_shown_never_raised():
    """GIVEN a detector that fails WHEN frames go through FrameInference THEN each frame passes on with no
    detections, and the metrics count the errors and show the last one."""
    metrics = StreamMetrics(stream_id=1, interval_s=0)
    inference = FrameInference(UnreachableTriton(), metrics, confidence=0.25, iou=0.45)
    for frame_id in (1, 2):
        result = inference([_frame(frame_id)])
        assert len(result) == 1 and isinstance(result[0], sv.Detections) and len(result[0]) == 0
    message = metrics.snapshot_if_due()
    assert message["inference_errors"] == 2
    assert "Connection refused" in message["last_error"]
