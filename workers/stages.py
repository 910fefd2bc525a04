"""The two callbacks a stream's InferencePipeline runs: inference (on_video_frame) and the sink (on_prediction)."""

import logging
import threading
import time
from typing import Protocol

import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame

from streams.messages import FrameMessage, stream_group
from workers.annotate import FrameAnnotator
from workers.metrics import StreamMetrics

logger = logging.getLogger(__name__)


class DetectsObjects(Protocol):
    def detect(self, images_bgr: list[np.ndarray], *, confidence: float, iou: float) -> list[sv.Detections]: ...


class Publishes(Protocol):
    def publish(self, group: str, message: dict, timeout: float = 2.0) -> bool: ...


class FrameInference:
    """letterbox → Triton → decode + NMS. Never raises: an exception here would end the pipeline, so errors
    are counted, shown, and the frame passes on with no detections."""

    def __init__(self, detector: DetectsObjects, metrics: StreamMetrics, confidence: float, iou: float) -> None:
        self._detector = detector
        self._metrics = metrics
        self._confidence = confidence
        self._iou = iou

    def __call__(self, video_frames: list[VideoFrame]) -> list[sv.Detections]:
        started = time.perf_counter()
        try:
            detections = self._detector.detect(
                [frame.image for frame in video_frames], confidence=self._confidence, iou=self._iou
            )
        except Exception as error:  # noqa: BLE001 - see class docstring
            logger.warning("Inference failed: %s", error)
            self._metrics.record_error(f"{type(error).__name__}: {error}")
            return [sv.Detections.empty() for _ in video_frames]
        self._metrics.record_inference(time.perf_counter() - started)
        return detections


class AnnotatedFrameSink:
    """annotate → JPEG → the stream's channel-layer group."""

    def __init__(
        self, stream_id: int, annotator: FrameAnnotator, publisher: Publishes, metrics: StreamMetrics
    ) -> None:
        self._stream_id = stream_id
        self._group = stream_group(stream_id)
        self._annotator = annotator
        self._publisher = publisher
        self._metrics = metrics
        self.first_frame = threading.Event()

    def __call__(self, detections: sv.Detections, video_frame: VideoFrame) -> None:
        names = detections.data.get("class_name", [])
        self._metrics.record_frame([str(name) for name in names])
        jpeg = self._annotator.encode(self._annotator.annotate(video_frame.image, detections))
        message = FrameMessage(
            type="stream.frame",
            stream_id=self._stream_id,
            jpeg=jpeg,
            frame_id=int(video_frame.frame_id),
            captured_at=video_frame.frame_timestamp.timestamp(),
        )
        self._publisher.publish(self._group, message)
        self.first_frame.set()
