"""One built InferencePipeline and what its runner knows about it: the config it was built from, its live
settings, its counters, and how to mute, resume and stop it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.frames import LiveSettings
from streams.models import Stream
from workers.framepath.metrics import StreamMetrics
from workers.hosting.observe import Observed, PipelineState, PipelineWatch

if TYPE_CHECKING:
    from streamvision.stream.pipeline import InferencePipeline

    from analytics.runtime.live import StreamAnalytics

logger = logging.getLogger(__name__)

Status = Stream.Status
Desired = Stream.DesiredState


@dataclass(frozen=True)
class PipelineConfig:
    """What a pipeline is built from: a change to any of it means a rebuild (live settings need none)."""

    source: str
    max_fps: float | None
    model: str

    @classmethod
    def of(cls, stream: Stream, *, default_model: str) -> PipelineConfig:
        return cls(source=stream.source, max_fps=stream.max_fps, model=stream.model or default_model)

    def stall_limit_s(self, stall_s: float) -> float:
        """Seconds without a frame that mean the source is lost: `stall_s`, or three frames at a low max fps."""
        return max(stall_s, 3.0 / self.max_fps) if self.max_fps else stall_s


@dataclass
class RunningPipeline:
    stream_id: int
    pipeline: InferencePipeline
    config: PipelineConfig
    live: LiveSettings
    metrics: StreamMetrics
    watch: PipelineWatch
    paused_wanted: bool = False
    paused: bool = False
    awake_since: float = field(default_factory=time.monotonic)  # started or resumed: the stall clock
    reported: Observed = Observed(Status.STARTING, "")
    analytics: StreamAnalytics | None = None  # tracker, zones, lines: re-read on every sync

    def follow(self, stream: Stream) -> None:
        """Take the stream's live settings and desired pause now (its config is unchanged)."""
        self.live.confidence = stream.confidence
        self.live.classes = frozenset(stream.classes)
        if self.analytics is not None:
            self.analytics.sync(self.live)
        self.paused_wanted = stream.desired_state == Desired.PAUSED
        if stream.status != self.reported.status:
            # Someone else wrote the status (a stop undone before this holder acted on it leaves "stopping"):
            # report what this pipeline observes again.
            self.reported = Observed("", "")

    def apply_pause(self) -> None:
        wanted = self.paused_wanted
        if wanted == self.paused:
            return
        try:
            # Muting keeps reading the source (a camera connection stays alive) but drops every frame.
            self.pipeline.mute_stream() if wanted else self.pipeline.resume_stream()
        except Exception as error:  # noqa: BLE001 - the source is not running yet; try again next tick
            logger.debug("Stream %s: cannot %s yet: %s", self.stream_id, "pause" if wanted else "resume", error)
            return
        self.paused = wanted
        self.awake_since = time.monotonic()

    def state(self, now: float) -> PipelineState:
        return PipelineState(
            source_down=self.watch.source_down,
            source_error=self.watch.last_error,
            paused=self.paused,
            frames_total=self.metrics.frames_total,
            quiet_s=now - max(self.metrics.last_frame_at, self.awake_since),
            inference_failing=self.metrics.inference_failing(),
            inference_error=self.metrics.last_error,
        )

    def stop(self) -> None:
        """Stop the pipeline, waiting at most a second. terminate() waits for a source that is still opening
        (a silent server holds it until the FFmpeg timeout); such a source can deliver no frame once the
        pipeline is told to stop, so a stop need not wait for it: a thread finishes the job."""
        started = time.monotonic()
        stopper = threading.Thread(
            target=_terminate, args=(self.pipeline, self.stream_id), name=f"stream-{self.stream_id}-stop", daemon=True
        )
        stopper.start()
        stopper.join(timeout=1.0)
        if self.analytics is not None:
            self.analytics.close()  # what was counted since the last flush
        logger.info(
            "Stream %s: pipeline %s after %.2f s",
            self.stream_id,
            "still closing its source in the background" if stopper.is_alive() else "stopped",
            time.monotonic() - started,
        )


def _terminate(pipeline: InferencePipeline, stream_id: int) -> None:
    deadline = time.monotonic() + 10.0
    while True:
        try:
            pipeline.terminate()
            break
        except Exception as error:  # noqa: BLE001 - a source still INITIALISING refuses for a moment
            if time.monotonic() > deadline:
                logger.warning("Stream %s: terminate kept failing: %s", stream_id, error)
                break
            time.sleep(0.1)
    pipeline.join()
