"""The two callbacks a stream's InferencePipeline runs: FrameInference (on_video_frame) and FrameSink
(on_prediction), and the standard stages of the sink. The frame path's types: core/frames.py."""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, Self, TypeVar

import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame

from core.frames import DrawsOverlay, FrameContext, FrameStage, LiveSettings, RecordsErrors, failure_text
from streams.messages import FrameMessage
from streams.viewers import SIZES, TILE_WIDTH, Size, frame_group
from workers.framepath.annotate import FrameAnnotator
from workers.framepath.metrics import StreamMetrics

logger = logging.getLogger(__name__)
StageT = TypeVar("StageT")


class DetectsObjects(Protocol):
    def detect(
        self, images_bgr: list[np.ndarray], *, confidence: float, iou: float, classes: list[str] | None = None
    ) -> list[sv.Detections]: ...


class Publishes(Protocol):
    def publish(self, group: str, message: dict, timeout: float = 2.0) -> bool: ...


@dataclass
class FrameInference:
    """letterbox → Triton (decode, NMS, class filter) → Detections. Never raises: an exception here would end the
    pipeline, so errors are counted, shown, and the frame passes on with no detections."""

    detector: DetectsObjects
    metrics: StreamMetrics
    live: LiveSettings

    def __call__(self, video_frames: list[VideoFrame]) -> list[sv.Detections]:
        started = time.perf_counter()
        try:
            live = self.live
            detections = self.detector.detect(
                [frame.image for frame in video_frames],
                confidence=live.confidence,
                iou=live.iou,
                classes=sorted(live.classes) or None,  # filtered inside Triton, with its NMS
            )
        except Exception as error:  # noqa: BLE001 - see class docstring
            logger.warning("Inference failed: %s", error)
            self.metrics.record_error(f"{type(error).__name__}: {error}")
            return [sv.Detections.empty() for _ in video_frames]
        self.metrics.record_inference(time.perf_counter() - started)
        return detections


@dataclass
class CountFrame:
    """Frames and detections per class for the stream's metrics, watched or not."""

    metrics: StreamMetrics
    name: str = "count"

    def __call__(self, ctx: FrameContext) -> None:
        self.metrics.record_frame([str(name) for name in ctx.detections.data.get("class_name", [])])


@dataclass
class AnalyseFrame:
    """Runs this frame's analysers in order; one that raises is counted and the next one still runs."""

    metrics: RecordsErrors
    name: str = "analyse"

    def __call__(self, ctx: FrameContext) -> None:
        for analyser in ctx.analysers:
            try:
                analyser.analyse(ctx)
            except Exception as error:  # noqa: BLE001 - one analyser must not stop the stream or the others
                _record_failure(self.metrics, f"analyser {analyser.name}", error)


@dataclass
class FramePainter:
    """Draws a frame once: boxes and labels, then the overlay of each analyser that draws."""

    annotator: FrameAnnotator
    metrics: RecordsErrors

    def paint(self, ctx: FrameContext) -> np.ndarray:
        canvas = self.annotator.annotate(ctx.image, ctx.detections)  # a copy: the source frame stays clean
        for analyser in ctx.analysers:
            if not isinstance(analyser, DrawsOverlay):
                continue
            try:
                drawn = analyser.draw(canvas, ctx)
            except Exception as error:  # noqa: BLE001 - a broken overlay must not cost the frame
                _record_failure(self.metrics, f"overlay {getattr(analyser, 'name', analyser)}", error)
                continue
            canvas = drawn if isinstance(drawn, np.ndarray) else canvas
        return canvas


@dataclass
class PublishFrame:
    """The annotated frame → JPEG once per watched size → that size's channel-layer group.

    However many browsers watch, each frame is drawn once and encoded at most once per size (the channel
    layer then fans one message out per Daphne process). While nobody watches, nothing is drawn or encoded.
    """

    stream_id: int
    origin: str
    annotator: FrameAnnotator
    publisher: Publishes
    watched: Callable[[], frozenset[str]]
    tile_width: int = TILE_WIDTH
    name: str = "publish"
    encoded: Counter[str] = field(default_factory=Counter)  # JPEGs made per size: what fan-out costs the worker

    def __call__(self, ctx: FrameContext) -> None:
        sizes = self.watched()
        if not sizes:
            return
        annotated = ctx.annotated()
        for size in SIZES:
            if size in sizes:
                self._publish(size, self._encode(annotated, size), ctx.frame)

    def _encode(self, annotated: np.ndarray, size: Size) -> bytes:
        image = annotated if size == "full" else self.annotator.scale_to_width(annotated, self.tile_width)
        self.encoded[size] += 1
        return self.annotator.encode(image)

    def _publish(self, size: Size, jpeg: bytes, video_frame: VideoFrame) -> None:
        message = FrameMessage(
            type="stream.frame",
            stream_id=self.stream_id,
            jpeg=jpeg,
            frame_id=int(video_frame.frame_id),
            captured_at=video_frame.frame_timestamp.timestamp(),
            origin=self.origin,
            size=size,
        )
        self.publisher.publish(frame_group(self.stream_id, size), message)


class FrameSink:
    """The pipeline's on_prediction: each frame, as one FrameContext, through every stage in order. Never raises:
    a failing stage is counted like an inference error and the frame goes on through the others."""

    def __init__(
        self, *, stages: Sequence[FrameStage], live: LiveSettings, painter: FramePainter, metrics: RecordsErrors
    ) -> None:
        self.stages = tuple(stages)
        self._live = live
        self._painter = painter
        self._metrics = metrics
        self.first_frame = threading.Event()

    @classmethod
    def init(
        cls,
        *,
        stream_id: int,
        origin: str,
        annotator: FrameAnnotator,
        publisher: Publishes,
        metrics: StreamMetrics,
        live: LiveSettings,
        watched: Callable[[], frozenset[str]] | None = None,
        after: Sequence[FrameStage] = (),
    ) -> Self:
        """The standard path: count → analyse → publish, then the `after` stages (events, say)."""
        publish = PublishFrame(stream_id=stream_id, origin=origin, annotator=annotator, publisher=publisher,
                               watched=watched or _watched_sizes(publisher, stream_id))  # fmt: skip
        stages = (CountFrame(metrics), AnalyseFrame(metrics), publish, *after)
        return cls(stages=stages, live=live, painter=FramePainter(annotator, metrics), metrics=metrics)

    def __call__(self, detections: sv.Detections, video_frame: VideoFrame) -> None:
        ctx = FrameContext(
            frame=video_frame,
            detections=detections,
            at=video_frame.frame_timestamp.timestamp(),
            analysers=self._live.analysers,
            paint=self._painter.paint,
        )
        for stage in self.stages:
            try:
                stage(ctx)
            except Exception as error:  # noqa: BLE001 - see class docstring
                _record_failure(self._metrics, f"stage {stage.name}", error)
        self.first_frame.set()

    def stage(self, kind: type[StageT]) -> StageT:
        """The first stage of this type (tests and benchmarks read PublishFrame.encoded)."""
        return next(stage for stage in self.stages if isinstance(stage, kind))


def _record_failure(metrics: RecordsErrors, what: str, error: Exception) -> None:
    logger.warning("Frame path: %s failed: %s", what, error)
    metrics.record_error(failure_text(what, error))


def _watched_sizes(publisher: Publishes, stream_id: int) -> Callable[[], frozenset[str]]:
    """The publisher knows where viewers register; a bare publisher (a test double) gets full size always."""
    factory = getattr(publisher, "watched_sizes", None)
    return factory(stream_id) if factory is not None else lambda: frozenset({"full"})
