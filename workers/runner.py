"""StreamRunner: hosts one stream's InferencePipeline inside a long Celery task.

It holds the stream's lease (the fence that keeps one pipeline per stream) and renews it every second,
wakes on commands within milliseconds, follows the stream's desired state (running / paused / stopped),
applies live settings without a rebuild, reports what it observes (starting, running, paused,
reconnecting, failed) and always terminates its pipeline.
"""

import enum
import functools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from django.conf import settings
from streamvision.camera.entities import StatusUpdate, UpdateSeverity
from streamvision.stream.pipeline import InferencePipeline

from streams import control, metrics_history, selectors, services
from streams.messages import MetricsMessage, stream_group
from streams.models import Stream
from streams.sources import redact_source
from workers.annotate import FrameAnnotator
from workers.metrics import StreamMetrics
from workers.sources import video_reference
from workers.stages import DetectsObjects, FrameInference, FrameSink, LiveSettings, Publishes

logger = logging.getLogger(__name__)

Status = Stream.Status
Desired = Stream.DesiredState


class Outcome(enum.Enum):
    STOP = "stop"  # asked to stop, or the stream is gone
    RESTART = "restart"  # rebuild the pipeline (asked, or settings that need it changed)
    RELEASE = "release"  # pinned to another queue: let a worker there take it
    LEASE_LOST = "lease-lost"  # presumed dead and replaced: another worker owns the stream now
    FAILED = "failed"  # the pipeline ended by itself (the source could not be opened, …)


# Source states (streamvision's StreamState names) that mean "no frames are coming" once it had run.
_SOURCE_DOWN_STATES = frozenset({"ENDED", "ERROR", "RESTARTING", "INITIALISING"})
_SOURCE_UP_STATES = frozenset({"RUNNING", "MUTED", "PAUSED"})


class PipelineWatch:
    """Collects what the pipeline reports from its own threads: errors, the source's state, its end."""

    def __init__(self) -> None:
        self.ended = threading.Event()
        self.last_error = ""
        self.source_state = "NOT_STARTED"
        self.source_ever_up = False

    def on_status_update(self, update: StatusUpdate) -> None:
        if update.severity.value >= UpdateSeverity.ERROR.value:
            message = update.payload.get("error_message") or update.event_type
            self.last_error = redact_source(str(message))[:400]
        new_state = update.payload.get("new_state") if update.event_type == "SOURCE_STATE_UPDATE" else None
        if new_state is not None:
            self.source_state = getattr(new_state, "value", str(new_state))
            self.source_ever_up = self.source_ever_up or self.source_state in _SOURCE_UP_STATES
        if update.event_type == "INFERENCE_THREAD_FINISHED":
            self.ended.set()

    @property
    def source_down(self) -> bool:
        return self.source_ever_up and self.source_state in _SOURCE_DOWN_STATES


@dataclass
class RunningPipeline:
    """One built pipeline and what the supervision loop knows about it."""

    pipeline: InferencePipeline
    config: tuple  # the settings it was built with; a change means rebuild
    live: LiveSettings
    metrics: StreamMetrics
    watch: PipelineWatch
    paused_wanted: bool = False
    paused: bool = False
    awake_since: float = field(default_factory=time.monotonic)  # started or resumed: the stall clock
    reported: tuple[str, str] = (Status.STARTING, "")


@functools.cache
def shared_detector(model_name: str) -> DetectsObjects:
    """One Triton client per worker process and model, shared by the streams it runs."""
    from workers.detector import Detector

    return Detector.init(
        url=settings.TRITON_URL,
        model_name=model_name,
        timeout_s=settings.TRITON_TIMEOUT_S,
        transport=settings.TRITON_TRANSPORT,
    )


def pipeline_config(stream: Stream) -> tuple:
    return (stream.source, stream.max_fps, stream.model or settings.TRITON_MODEL_NAME)


class StreamRunner:
    def __init__(
        self,
        stream_id: int,
        worker: str,
        holder: str,
        detector_factory: Callable[[str], DetectsObjects],
        publisher: Publishes,
        annotator: FrameAnnotator,
    ) -> None:
        self._stream_id = stream_id
        self._worker = worker
        self._holder = holder
        self._detector_factory = detector_factory
        self._publisher = publisher
        self._annotator = annotator
        self._lease_ttl = settings.STREAM_LEASE_TTL_S
        self._poll_s = settings.STREAM_CONTROL_POLL_S
        self._last_renewal = 0.0
        self._failure_reason = ""

    @classmethod
    def init(cls, stream_id: int, worker: str = "") -> "StreamRunner":
        from workers.publish import process_publisher

        worker = worker or f"worker@{socket.gethostname()}"
        return cls(
            stream_id=stream_id,
            worker=worker,
            holder=f"{worker}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            detector_factory=shared_detector,
            publisher=process_publisher(),
            annotator=FrameAnnotator.init(jpeg_quality=settings.JPEG_QUALITY),
        )

    def run(self) -> None:
        """Run the stream until it is stopped, deleted, fails, moves, or its lease is lost."""
        control.release_dispatch(self._stream_id)  # this task was taken: a later death may be re-queued
        if not control.acquire_lease(self._stream_id, self._holder, self._lease_ttl):
            logger.info("Stream %s is held by another worker; nothing to do", self._stream_id)
            return
        self._last_renewal = time.monotonic()
        outcome = Outcome.STOP
        try:
            outcome = self._run_until_done()
        finally:
            self._report_exit(outcome)
            control.release_lease(self._stream_id, self._holder)
        if outcome is not Outcome.LEASE_LOST:
            # Started again (or moved) while this copy was stopping: hand over to a fresh task at once.
            services.stream_reconcile(stream_id=self._stream_id)

    def _run_until_done(self) -> Outcome:
        while True:
            stream = selectors.stream_get(stream_id=self._stream_id)
            if stream is None or stream.desired_state == Desired.STOPPED:
                return Outcome.STOP
            outcome = self._run_pipeline(stream)
            if outcome is not Outcome.RESTART:
                return outcome
            logger.info("Stream %s: rebuilding its pipeline", self._stream_id)

    def _run_pipeline(self, stream: Stream) -> Outcome:
        self._report(Status.STARTING, "")
        detector = self._wait_for_detector(stream)
        if isinstance(detector, Outcome):
            return detector
        run = self._build(stream, detector)
        run.pipeline.start(use_main_thread=False)
        try:
            return self._supervise(run)
        finally:
            self._terminate(run.pipeline)

    def _build(self, stream: Stream, detector: DetectsObjects) -> RunningPipeline:
        metrics = StreamMetrics(stream.pk, origin=self._holder)
        watch = PipelineWatch()
        live = LiveSettings(confidence=stream.confidence, iou=settings.NMS_IOU, classes=frozenset(stream.classes))
        sink = FrameSink.init(stream_id=stream.pk, origin=self._holder, annotator=self._annotator,
                              publisher=self._publisher, metrics=metrics, live=live)  # fmt: skip
        pipeline = InferencePipeline.init_with_custom_logic(
            video_reference=video_reference(stream.source),
            on_video_frame=FrameInference(detector, metrics, live),
            on_prediction=sink,
            max_fps=stream.max_fps,
            status_update_handlers=[watch.on_status_update],
        )
        return RunningPipeline(
            pipeline=pipeline,
            config=pipeline_config(stream),
            live=live,
            metrics=metrics,
            watch=watch,
            paused_wanted=stream.desired_state == Desired.PAUSED,
        )

    def _wait_for_detector(self, stream: Stream) -> DetectsObjects | Outcome:
        """Triton may still be starting (or down): keep trying, but stay responsive to commands."""
        model = stream.model or settings.TRITON_MODEL_NAME
        while True:
            try:
                return self._detector_factory(model)
            except Exception as error:  # noqa: BLE001 - any connection problem means "not yet"
                reason = f"waiting for Triton model {model}: {error}"[:400]
                logger.warning("Stream %s %s", self._stream_id, reason)
                self._report(Status.STARTING, reason)
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                stream = self._next_stream_state(control.take_commands(self._stream_id, wait_s=self._poll_s))
                if isinstance(stream, Outcome):
                    return stream
                if not self._renew_lease_if_due():
                    return Outcome.LEASE_LOST

    def _supervise(self, run: RunningPipeline) -> Outcome:
        while True:
            outcome = self._handle_commands(run, control.take_commands(self._stream_id, wait_s=self._poll_s))
            if outcome is not None:
                return outcome
            if not self._renew_lease_if_due():
                logger.error("Stream %s: lease lost; stopping this copy of the pipeline", self._stream_id)
                return Outcome.LEASE_LOST
            if run.watch.ended.is_set():
                self._failure_reason = run.watch.last_error or "the video source ended"
                return Outcome.FAILED
            self._apply_pause(run)
            self._report_observed(run)
            message = run.metrics.snapshot_if_due()
            if message is not None:
                self._publish_metrics(message)

    def _handle_commands(self, run: RunningPipeline, commands: list[str]) -> Outcome | None:
        stream = self._next_stream_state(commands)
        if isinstance(stream, Outcome) or stream is None:
            return stream
        if pipeline_config(stream) != run.config:
            return Outcome.RESTART
        run.live.confidence = stream.confidence
        run.live.classes = frozenset(stream.classes)
        run.paused_wanted = stream.desired_state == Desired.PAUSED
        if stream.status != run.reported[0]:
            # Someone else wrote the status (a stop undone before this holder acted on it leaves "stopping"):
            # report what this pipeline observes again.
            run.reported = ("", "")
        return None

    def _next_stream_state(self, commands: list[str]) -> Stream | Outcome | None:
        """What the commands ask for: an Outcome, the re-read stream to follow, or None (no command)."""
        if not commands:
            return None
        if "restart" in commands:
            return Outcome.RESTART
        if "release" in commands:
            return Outcome.RELEASE
        stream = selectors.stream_get(stream_id=self._stream_id)
        if stream is None or stream.desired_state == Desired.STOPPED:
            return Outcome.STOP
        return stream

    def _publish_metrics(self, message: MetricsMessage) -> None:
        self._publisher.publish(stream_group(self._stream_id), dict(message))
        sample = metrics_history.MetricsSample(
            at=message["at"],
            fps=message["fps"],
            inference_ms=message["inference_ms"],
            detections=message["detections"],
            inference_errors=message["inference_errors"],
        )
        try:
            metrics_history.history_append(stream_id=self._stream_id, sample=sample)
        except redis.RedisError as error:  # the charts' history may miss a point; the stream must not stop
            logger.warning("Stream %s: could not store its metrics: %s", self._stream_id, error)

    def _apply_pause(self, run: RunningPipeline) -> None:
        wanted = run.paused_wanted
        if wanted == run.paused:
            return
        try:
            # Muting keeps reading the source (a camera connection stays alive) but drops every frame.
            run.pipeline.mute_stream() if wanted else run.pipeline.resume_stream()
        except Exception as error:  # noqa: BLE001 - the source is not running yet; try again next tick
            logger.debug("Stream %s: cannot %s yet: %s", self._stream_id, "pause" if wanted else "resume", error)
            return
        run.paused = wanted
        run.awake_since = time.monotonic()

    def _report_observed(self, run: RunningPipeline) -> None:
        observed = self._observe(run)
        if observed != run.reported:
            run.reported = observed
            self._report(*observed)

    def _observe(self, run: RunningPipeline) -> tuple[str, str]:
        if run.watch.source_down:
            return Status.RECONNECTING, run.watch.last_error or "the source was lost; reconnecting"
        if run.paused:
            return Status.PAUSED, ""
        if run.metrics.frames_total == 0:
            return Status.STARTING, ""
        quiet_s = time.monotonic() - max(run.metrics.last_frame_at, run.awake_since)
        if quiet_s > self._stall_limit_s(run):
            return Status.RECONNECTING, f"no frames for {quiet_s:.0f} s"
        if run.metrics.inference_failing():
            return Status.RUNNING, f"inference failing: {run.metrics.last_error}"
        return Status.RUNNING, ""

    def _stall_limit_s(self, run: RunningPipeline) -> float:
        max_fps = run.config[1]
        return max(settings.STREAM_STALL_S, 3.0 / max_fps) if max_fps else settings.STREAM_STALL_S

    def _renew_lease_if_due(self) -> bool:
        if time.monotonic() - self._last_renewal < 1.0:
            return True
        if not control.renew_lease(self._stream_id, self._holder, self._lease_ttl):
            return False
        self._last_renewal = time.monotonic()
        return True

    def _terminate(self, pipeline: InferencePipeline) -> None:
        """Stop the pipeline, waiting at most a second. terminate() waits for a source that is still opening
        (a silent server holds it until the FFmpeg timeout); such a source can deliver no frame once the
        pipeline is told to stop, so a stop need not wait for it: a thread finishes the job."""
        started = time.monotonic()
        stopper = threading.Thread(
            target=_stop_pipeline, args=(pipeline, self._stream_id), name=f"stream-{self._stream_id}-stop", daemon=True
        )
        stopper.start()
        stopper.join(timeout=1.0)
        logger.info(
            "Stream %s: pipeline %s after %.2f s",
            self._stream_id,
            "still closing its source in the background" if stopper.is_alive() else "stopped",
            time.monotonic() - started,
        )

    def _report_exit(self, outcome: Outcome) -> None:
        if outcome is Outcome.LEASE_LOST:
            return
        if outcome is Outcome.FAILED:
            services.stream_report_failure(
                stream_id=self._stream_id, holder=self._holder, reason=self._failure_reason, worker=self._worker
            )
        elif outcome is Outcome.RELEASE:
            self._report(Status.STARTING, "moving to a worker on its new queue")
        else:
            self._report(Status.STOPPED, "")

    def _report(self, status: str, reason: str) -> None:
        services.stream_report_status(
            stream_id=self._stream_id, holder=self._holder, status=status, reason=reason, worker=self._worker
        )


def _stop_pipeline(pipeline: InferencePipeline, stream_id: int) -> None:
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
