"""What one frame carries after inference, and what a stage or an analyser of the frame path is.

    on_video_frame: FrameInference ─▶ detections
    on_prediction:  FrameSink runs its stages in order on one FrameContext per frame:
                    CountFrame → AnalyseFrame (the live analysers, in order) → PublishFrame → (later: events)
                    drawing is lazy: ctx.annotated() paints boxes, labels and every analyser's overlay once,
                    the first time a stage asks (PublishFrame asks only while someone watches)

Analysers (a tracker, zone and line counters) join through `LiveSettings.analysers`, a tuple the runner may
replace at any time: each frame takes the tuple it finds when it arrives, so a zone edit applies from the next
frame on, without a rebuild. Stages that act on the facts (events, rules) join the sink's stage list. Neither
needs an edit of the sink. A stage or analyser that raises is counted and logged like an inference error; the
frame goes on through the remaining stages.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame


@dataclass
class FrameContext:
    """One frame between inference and the last stage. Stages run one after another on the sink's thread."""

    frame: VideoFrame
    detections: sv.Detections  # an analyser may replace them (a tracker sets tracker_id, drops unmatched boxes)
    at: float  # unix time the frame was captured: the clock of dwell times, crossings and events
    analysers: tuple["Analyser", ...] = ()  # this frame's analysers: the live tuple when the frame arrived
    facts: dict[str, Any] = field(default_factory=dict)  # analyser name -> what it found in this frame
    paint: Callable[["FrameContext"], np.ndarray] | None = None  # draws the annotated frame (FramePainter)
    _annotated: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def image(self) -> np.ndarray:
        """The source frame, BGR; never drawn on (drawing happens on a copy)."""
        return self.frame.image

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) in pixels, as zones and lines are drawn."""
        height, width = self.frame.image.shape[:2]
        return width, height

    @property
    def drawn(self) -> bool:
        """True once some stage asked for the annotated frame."""
        return self._annotated is not None

    def annotated(self) -> np.ndarray:
        """The frame with boxes, labels and each analyser's overlay; drawn on the first call, then reused."""
        if self._annotated is None:
            self._annotated = self.paint(self) if self.paint is not None else self.image.copy()
        return self._annotated


class Analyser(Protocol):
    """A per-stream state machine fed every frame: reads ctx.detections, ctx.at and ctx.frame_size, may replace
    ctx.detections, and puts what it found (counts, crossings, occupancy) in ctx.facts[self.name]."""

    name: str

    def analyse(self, ctx: FrameContext) -> None: ...


@runtime_checkable
class DrawsOverlay(Protocol):
    """An analyser that also draws (zones, lines, track ids): called only when the frame is drawn at all."""

    def draw(self, image: np.ndarray, ctx: FrameContext) -> np.ndarray:
        """Draw on `image` (the annotated copy, BGR) and return it (supervision annotators' convention)."""
        ...


class FrameStage(Protocol):
    """A step of the sink: runs once per frame, in the sink's list order, after inference."""

    name: str

    def __call__(self, ctx: FrameContext) -> None: ...


class RecordsErrors(Protocol):
    def record_error(self, message: str) -> None: ...


def failure_text(what: str, error: Exception) -> str:
    """How a failed stage or analyser shows in metrics and logs."""
    return f"{what}: {type(error).__name__}: {error}"


@dataclass
class LiveSettings:
    """Settings a running pipeline reads per frame, so changing them needs no restart.

    The runner replaces attributes from its own thread; each is read once per batch (analysers: once per
    frame), so a batch never mixes old and new values of one attribute.
    """

    confidence: float
    iou: float
    classes: frozenset[str] = frozenset()  # empty: every class
    analysers: tuple[Analyser, ...] = ()  # run in this order on every frame after inference
