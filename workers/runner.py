"""StreamRunner: hosts one stream's InferencePipeline inside a long Celery task.

It holds the stream's lease (the fence that keeps one pipeline per stream), polls for commands about four
times a second, reports status changes and metrics, and always terminates and joins its pipeline.
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

from django.conf import settings
from streamvision.camera.entities import StatusUpdate, UpdateSeverity
from streamvision.stream.pipeline import InferencePipeline

from streams import control, selectors, services
from streams.messages import StatusMessage, stream_group
from streams.models import Stream
from streams.sources import redact_source
from workers.annotate import FrameAnnotator
from workers.metrics import StreamMetrics
from workers.sources import video_reference
from workers.stages import AnnotatedFrameSink, DetectsObjects, FrameInference, Publishes

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    STOP = "stop"  # asked to stop, or the stream is gone
    RESTART = "restart"  # settings changed: rebuild the pipeline
    LEASE_LOST = "lease-lost"  # another worker owns the stream now
    ENDED = "ended"  # the pipeline ended by itself (source could not be opened, …)


class PipelineWatch:
    """Collects what the pipeline reports from its own threads: the last error and whether it has ended."""

    def __init__(self) -> None:
        self.ended = threading.Event()
        self.last_error = ""

    def on_status_update(self, update: StatusUpdate) -> None:
        if update.severity.value >= UpdateSeverity.ERROR.value:
            message = update.payload.get("error_message") or update.event_type
            self.last_error = redact_source(str(message))[:400]
        if update.event_type == "INFERENCE_THREAD_FINISHED":
            self.ended.set()


@functools.cache
def shared_detector() -> DetectsObjects:
    """One Triton client per worker process, shared by the streams it runs one after another."""
    from workers.detector import Detector

    return Detector.init(
        url=settings.TRITON_URL, model_name=settings.TRITON_MODEL_NAME, timeout_s=settings.TRITON_TIMEOUT_S
    )


class StreamRunner:
    def __init__(
        self,
        stream_id: int,
        holder: str,
        detector_factory: Callable[[], DetectsObjects],
        publisher: Publishes,
        annotator: FrameAnnotator,
    ) -> None:
        self._stream_id = stream_id
        self._holder = holder
        self._detector_factory = detector_factory
        self._publisher = publisher
        self._annotator = annotator
        self._lease_ttl = settings.STREAM_LEASE_TTL_S
        self._poll_s = settings.STREAM_CONTROL_POLL_S
        self._failure_reason = ""

    @classmethod
    def init(cls, stream_id: int) -> "StreamRunner":
        from workers.publish import process_publisher

        return cls(
            stream_id=stream_id,
            holder=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            detector_factory=shared_detector,
            publisher=process_publisher(),
            annotator=FrameAnnotator.init(jpeg_quality=settings.JPEG_QUALITY),
        )

    def run(self) -> None:
        """Run the stream until it is stopped, deleted, fails, or its lease is lost."""
        if not self._acquire_lease():
            logger.info("Stream %s is held by another worker; nothing to do", self._stream_id)
            return
        outcome = Outcome.STOP
        try:
            outcome = self._run_until_done()
        finally:
            control.release_lease(self._stream_id, self._holder)
            self._after_exit(outcome)

    def _acquire_lease(self) -> bool:
        # A worker that was just told to stop may still hold the lease for a moment: wait it out.
        deadline = time.monotonic() + self._lease_ttl
        while time.monotonic() < deadline:
            if control.acquire_lease(self._stream_id, self._holder, self._lease_ttl):
                return True
            stream = selectors.stream_get(stream_id=self._stream_id)
            if stream is None or stream.desired_state != Stream.DesiredState.RUNNING:
                return False
            time.sleep(self._poll_s)
        return False

    def _run_until_done(self) -> Outcome:
        while True:
            stream = selectors.stream_get(stream_id=self._stream_id)
            if stream is None or stream.desired_state != Stream.DesiredState.RUNNING:
                return Outcome.STOP
            outcome = self._run_pipeline(stream)
            if outcome is not Outcome.RESTART:
                return outcome
            logger.info("Stream %s: rebuilding its pipeline with new settings", self._stream_id)

    def _run_pipeline(self, stream: Stream) -> Outcome:
        self._report(Stream.Status.STARTING, "")
        metrics = StreamMetrics(stream.pk)
        watch = PipelineWatch()
        detector = self._wait_for_detector(watch)
        if detector is None:
            return Outcome.STOP
        sink = AnnotatedFrameSink(stream.pk, self._annotator, self._publisher, metrics)
        pipeline = InferencePipeline.init_with_custom_logic(
            video_reference=video_reference(stream.source),
            on_video_frame=FrameInference(detector, metrics, stream.confidence, settings.NMS_IOU),
            on_prediction=sink,
            max_fps=stream.max_fps,
            status_update_handlers=[watch.on_status_update],
        )
        pipeline.start(use_main_thread=False)
        try:
            return self._supervise(metrics, sink, watch)
        finally:
            self._terminate(pipeline)

    def _wait_for_detector(self, watch: PipelineWatch) -> DetectsObjects | None:
        """Triton may still be starting (or down): keep trying, but stay responsive to commands."""
        while True:
            try:
                return self._detector_factory()
            except Exception as error:  # noqa: BLE001 - any connection problem means "not yet"
                reason = f"waiting for Triton: {error}"[:400]
                if reason != watch.last_error:
                    logger.warning("Stream %s %s", self._stream_id, reason)
                    watch.last_error = reason
                    self._report(Stream.Status.STARTING, reason)
            if self._poll_commands() is not None:
                return None
            time.sleep(2.0)

    def _supervise(self, metrics: StreamMetrics, sink: AnnotatedFrameSink, watch: PipelineWatch) -> Outcome:
        running = False
        last_renewal = time.monotonic()
        while True:
            command = self._poll_commands()
            if command is not None:
                return command
            if time.monotonic() - last_renewal >= 1.0:
                if not control.renew_lease(self._stream_id, self._holder, self._lease_ttl):
                    logger.error("Stream %s: lease lost; stopping this copy of the pipeline", self._stream_id)
                    return Outcome.LEASE_LOST
                last_renewal = time.monotonic()
            if not running and sink.first_frame.is_set():
                running = True
                self._report(Stream.Status.RUNNING, "")
            if watch.ended.is_set():
                self._failure_reason = watch.last_error or "the video source ended"
                return Outcome.ENDED
            message = metrics.snapshot_if_due()
            if message is not None:
                self._publisher.publish(stream_group(self._stream_id), dict(message))
            time.sleep(self._poll_s)

    def _poll_commands(self) -> Outcome | None:
        command = control.take_command(self._stream_id)
        if command == "stop":
            return Outcome.STOP
        if command == "restart":
            return Outcome.RESTART
        return None

    def _terminate(self, pipeline: InferencePipeline) -> None:
        started = time.monotonic()
        try:
            pipeline.terminate()
        except Exception as error:  # noqa: BLE001 - a source still initialising refuses; join still ends it
            logger.warning("Stream %s: terminate raised %s", self._stream_id, error)
        pipeline.join()
        logger.info("Stream %s: pipeline stopped in %.2f s", self._stream_id, time.monotonic() - started)

    def _after_exit(self, outcome: Outcome) -> None:
        if outcome is Outcome.LEASE_LOST:
            return
        stream = selectors.stream_get(stream_id=self._stream_id)
        if stream is None:
            return
        if outcome is Outcome.ENDED:
            self._report(Stream.Status.FAILED, self._failure_reason)
            return
        self._report(Stream.Status.STOPPED, "")
        if stream.desired_state == Stream.DesiredState.RUNNING:
            # Started again while this copy was stopping: hand over to a fresh task.
            services.stream_start(stream=stream)

    def _report(self, status: str, reason: str) -> None:
        services.stream_report_status(stream_id=self._stream_id, status=status, reason=reason)
        message = StatusMessage(type="stream.status", stream_id=self._stream_id, status=status, reason=reason)
        self._publisher.publish(stream_group(self._stream_id), dict(message))
