"""The two callbacks a stream's InferencePipeline runs: inference (on_video_frame) and the sink (on_prediction)."""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame

from streams.messages import FrameMessage
from streams.viewers import SIZES, TILE_WIDTH, Size, frame_group
from workers.annotate import FrameAnnotator
from workers.metrics import StreamMetrics

logger = logging.getLogger(__name__)


class DetectsObjects(Protocol):
    def detect(
        self, images_bgr: list[np.ndarray], *, confidence: float, iou: float, classes: list[str] | None = None
    ) -> list[sv.Detections]: ...


class Publishes(Protocol):
    def publish(self, group: str, message: dict, timeout: float = 2.0) -> bool: ...


@dataclass
class LiveSettings:
    """Settings a running pipeline reads per frame, so changing them needs no restart.

    The runner replaces attributes from its own thread; each is read once per batch, so a batch never mixes
    old and new values of one attribute.
    """

    confidence: float
    iou: float
    classes: frozenset[str] = frozenset()  # empty: every class


class FrameInference:
    """letterbox → Triton (decode, NMS, class filter) → Detections. Never raises: an exception here would end the
    pipeline, so errors are counted, shown, and the frame passes on with no detections."""

    def __init__(self, detector: DetectsObjects, metrics: StreamMetrics, live: LiveSettings) -> None:
        self._detector = detector
        self._metrics = metrics
        self._live = live

    def __call__(self, video_frames: list[VideoFrame]) -> list[sv.Detections]:
        started = time.perf_counter()
        try:
            live = self._live
            detections = self._detector.detect(
                [frame.image for frame in video_frames],
                confidence=live.confidence,
                iou=live.iou,
                classes=sorted(live.classes) or None,  # filtered inside Triton, with its NMS
            )
        except Exception as error:  # noqa: BLE001 - see class docstring
            logger.warning("Inference failed: %s", error)
            self._metrics.record_error(f"{type(error).__name__}: {error}")
            return [sv.Detections.empty() for _ in video_frames]
        self._metrics.record_inference(time.perf_counter() - started)
        return detections


class AnnotatedFrameSink:
    """annotate → JPEG once per watched size → that size's channel-layer group.

    However many browsers watch, each frame is drawn once and encoded at most once per size (the channel
    layer then fans one message out per Daphne process). While nobody watches, nothing is drawn or encoded;
    metrics are counted either way.
    """

    def __init__(
        self,
        stream_id: int,
        annotator: FrameAnnotator,
        publisher: Publishes,
        metrics: StreamMetrics,
        origin: str,
        *,
        watched: Callable[[], frozenset[str]] | None = None,
        tile_width: int = TILE_WIDTH,
    ) -> None:
        self._stream_id = stream_id
        self._origin = origin
        self._annotator = annotator
        self._publisher = publisher
        self._metrics = metrics
        self._watched = watched or _watched_sizes(publisher, stream_id)
        self._tile_width = tile_width
        self.encoded: Counter[str] = Counter()  # JPEGs made per size: what fan-out costs the worker
        self.first_frame = threading.Event()

    def __call__(self, detections: sv.Detections, video_frame: VideoFrame) -> None:
        names = detections.data.get("class_name", [])
        self._metrics.record_frame([str(name) for name in names])
        sizes = self._watched()
        if sizes:
            annotated = self._annotator.annotate(video_frame.image, detections)
            for size in SIZES:
                if size in sizes:
                    self._publish(size, self._encode(annotated, size), video_frame)
        self.first_frame.set()

    def _encode(self, annotated: np.ndarray, size: Size) -> bytes:
        image = annotated if size == "full" else self._annotator.scale_to_width(annotated, self._tile_width)
        self.encoded[size] += 1
        return self._annotator.encode(image)

    def _publish(self, size: Size, jpeg: bytes, video_frame: VideoFrame) -> None:
        message = FrameMessage(
            type="stream.frame",
            stream_id=self._stream_id,
            jpeg=jpeg,
            frame_id=int(video_frame.frame_id),
            captured_at=video_frame.frame_timestamp.timestamp(),
            origin=self._origin,
            size=size,
        )
        self._publisher.publish(frame_group(self._stream_id, size), message)


def _watched_sizes(publisher: Publishes, stream_id: int) -> Callable[[], frozenset[str]]:
    """The publisher knows where viewers register; a bare publisher (a test double) gets full size always."""
    factory = getattr(publisher, "watched_sizes", None)
    return factory(stream_id) if factory is not None else lambda: frozenset({"full"})
