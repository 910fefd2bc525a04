"""StreamRunner: hosts one stream's InferencePipeline inside a long Celery task.

It holds the stream's lease (the fence that keeps one pipeline per stream), wakes on commands within
milliseconds, follows the stream's desired state (running / paused / stopped), applies live settings without
a rebuild, reports what it observes (starting, running, paused, reconnecting, failed) and always terminates
its pipeline. Its loop is one tick, the same while it waits for Triton and while it supervises a pipeline.
"""

import enum
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from streams import control, metrics_history, reconciler, selectors, status, stream_counters
from streams.control import Command
from streams.messages import MetricsMessage, stream_group
from streams.models import Stream
from workers.framepath.annotate import FrameAnnotator
from workers.framepath.build import build_pipeline, shared_detector
from workers.framepath.pipeline import PipelineConfig, RunningPipeline
from workers.framepath.stages import DetectsObjects, Publishes
from workers.hosting.lease import StreamLease
from workers.hosting.observe import observe
from workers.hosting.reconnect import ReconnectPolicy, SourceOutage

logger = logging.getLogger(__name__)

Status = Stream.Status
Desired = Stream.DesiredState


class Outcome(enum.Enum):
    STOP = "stop"  # asked to stop, or the stream is gone
    RESTART = "restart"  # rebuild the pipeline (asked, or settings that need it changed)
    RELEASE = "release"  # pinned to another queue: let a worker there take it
    LEASE_LOST = "lease-lost"  # presumed dead and replaced: another worker owns the stream now
    FAILED = "failed"  # the pipeline ended by itself (the source could not be opened, …)
    SOURCE_LOST = "source-lost"  # a live source that had run was lost: reopen it after a backoff


class StreamRunner:
    def __init__(
        self,
        stream_id: int,
        worker: str,
        lease: StreamLease,
        detector_factory: Callable[[str], DetectsObjects],
        publisher: Publishes,
        annotator: FrameAnnotator,
        poll_s: float,
        stall_s: float,
        reconnect: ReconnectPolicy | None = None,
    ) -> None:
        self._stream_id = stream_id
        self._worker = worker
        self._lease = lease
        self._detector_factory = detector_factory
        self._publisher = publisher
        self._annotator = annotator
        self._poll_s = poll_s
        self._stall_s = stall_s
        self._failure_reason = ""
        self._reconnect = reconnect or ReconnectPolicy()
        self._outage: SourceOutage | None = None
        self._pending: list[Command] = []  # taken, not yet followed (the database was busy)

    @classmethod
    def init(cls, stream_id: int, worker: str = "") -> "StreamRunner":
        from workers.framepath.publish import process_publisher

        worker = worker or f"worker@{socket.gethostname()}"
        return cls(
            stream_id=stream_id,
            worker=worker,
            lease=StreamLease.init(stream_id, holder=f"{worker}:{os.getpid()}:{uuid.uuid4().hex[:8]}"),
            detector_factory=shared_detector,
            publisher=process_publisher(),
            annotator=FrameAnnotator.init(jpeg_quality=settings.JPEG_QUALITY),
            poll_s=settings.STREAM_CONTROL_POLL_S,
            stall_s=settings.STREAM_STALL_S,
            reconnect=ReconnectPolicy.from_settings(),
        )

    def run(self) -> None:
        """Run the stream until it is stopped, deleted, fails, moves, or its lease is lost."""
        control.release_dispatch(self._stream_id)  # this task was taken: a later death may be re-queued
        if not self._lease.acquire():
            logger.info("Stream %s is held by another worker; nothing to do", self._stream_id)
            return
        outcome = Outcome.STOP
        try:
            outcome = self._run_until_done()
        finally:
            try:
                self._report_exit(outcome)
            finally:
                self._lease.release()
        if outcome is not Outcome.LEASE_LOST:
            # Started again (or moved) while this copy was stopping: hand over to a fresh task at once.
            reconciler.stream_reconcile(stream_id=self._stream_id)

    def _run_until_done(self) -> Outcome:
        while True:
            stream = self._read_stream()
            if isinstance(stream, Outcome):
                return stream
            if stream is None or stream.desired_state == Desired.STOPPED:
                return Outcome.STOP
            outcome = self._run_pipeline(stream)
            if outcome is Outcome.SOURCE_LOST:
                outcome = self._wait_to_reconnect()
            if outcome is not Outcome.RESTART:
                return outcome
            logger.info("Stream %s: rebuilding its pipeline", self._stream_id)

    def _read_stream(self) -> Stream | None | Outcome:
        """The stream as stored; while the database is busy (SQLite's lock under a crash storm), keep ticking
        (commands, the lease) and read again, rather than let the task die and the stream wait for a pass."""
        while True:
            try:
                return selectors.stream_get(stream_id=self._stream_id)
            except DatabaseError as error:
                self._database_busy(error)
            outcome = self._tick(None)
            if outcome is not None:
                return outcome

    def _database_busy(self, error: DatabaseError) -> None:
        logger.warning("Stream %s: the database did not answer (%s); trying again", self._stream_id, error)
        close_old_connections()

    def _run_pipeline(self, stream: Stream) -> Outcome:
        if self._outage is None:  # reopening a lost source keeps showing the outage until frames come
            self._report(Status.STARTING, "")
        detector = self._wait_for_detector(stream)
        if isinstance(detector, Outcome):
            return detector
        run = build_pipeline(
            stream, detector, annotator=self._annotator, publisher=self._publisher, origin=self._lease.holder
        )
        run.pipeline.start(use_main_thread=False)
        try:
            while (outcome := self._tick(run)) is None:
                pass
            return outcome
        finally:
            run.stop()

    def _wait_for_detector(self, stream: Stream) -> DetectsObjects | Outcome:
        """Triton may still be starting (or down): keep trying every 2 s, ticking (commands, lease) meanwhile."""
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
                outcome = self._tick(None)
                if outcome is not None:
                    return outcome

    def _tick(self, run: RunningPipeline | None) -> Outcome | None:
        """Wait up to poll_s for commands and follow them, keep the lease, then watch the pipeline if there is
        one. An Outcome ends the pipeline (or the wait for one); None means tick again."""
        self._pending += control.take_commands(self._stream_id, wait_s=self._poll_s)
        try:
            outcome = self._follow(self._pending, run)
        except DatabaseError as error:  # followed on the next tick, with what comes meanwhile
            self._database_busy(error)
            outcome = None
        else:
            self._pending = []
        if outcome is not None:
            return outcome
        if not self._lease.renew_if_due():
            logger.error("Stream %s: lease lost; stopping this copy of the pipeline", self._stream_id)
            return Outcome.LEASE_LOST
        return None if run is None else self._watch(run)

    def _follow(self, commands: list[Command], run: RunningPipeline | None) -> Outcome | None:
        """What the commands ask for: an Outcome, or None once the re-read stream's live settings apply."""
        if not commands:
            return None
        if Command.RESTART in commands:
            return Outcome.RESTART
        if Command.RELEASE in commands:
            return Outcome.RELEASE
        stream = selectors.stream_get(stream_id=self._stream_id)
        if stream is None or stream.desired_state == Desired.STOPPED:
            return Outcome.STOP
        if run is None:
            return None
        if PipelineConfig.of(stream, default_model=settings.TRITON_MODEL_NAME) != run.config:
            return Outcome.RESTART
        run.follow(stream)
        return None

    def _watch(self, run: RunningPipeline) -> Outcome | None:
        stall_limit_s = run.config.stall_limit_s(self._stall_s)
        if self._outage is not None:
            if self._outage.attempt_lost(run, time.monotonic(), stall_limit_s):
                return Outcome.SOURCE_LOST
            if run.metrics.frames_total == 0:
                return None  # this attempt is still opening the source
            self._source_back()
        elif run.watch.ended.is_set():
            self._failure_reason = run.watch.last_error or "the video source ended"
            return Outcome.FAILED
        run.apply_pause()
        observed = observe(run.state(time.monotonic()), stall_limit_s=stall_limit_s)
        if observed.status == Status.RECONNECTING:
            self._outage = SourceOutage(self._reconnect)
            logger.warning("Stream %s: source lost (%s); reopening it with a backoff", self._stream_id, observed.reason)
            run.metrics.record_reconnect()
            self._store_counts(run.metrics.take_counts())  # this pipeline ends here: keep what it counted
            return Outcome.SOURCE_LOST
        if observed != run.reported and self._report(*observed):
            run.reported = observed
        message = run.metrics.snapshot_if_due()
        if message is not None:
            self._publish_metrics(message, run.metrics.take_counts())
            self._publish_analytics(run, message["fps"])
        return None

    def _wait_to_reconnect(self) -> Outcome:
        """Wait out the outage's backoff (commands and the lease still followed), then rebuild: RESTART."""
        wait_s = self._outage.next_attempt()
        self._report(*self._outage.observed())
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            outcome = self._tick(None)
            if outcome is not None:
                return outcome
        return Outcome.RESTART

    def _source_back(self) -> None:
        """Frames again after an outage; a stream shown failed passes through starting (the lifecycle's rule)."""
        if self._outage.failed_shown:
            self._report(Status.STARTING, "the source is back")
        self._outage = None

    def _publish_metrics(self, message: MetricsMessage, counts: stream_counters.CounterDeltas) -> None:
        self._publisher.publish(stream_group(self._stream_id), dict(message))
        try:
            metrics_history.history_record(message=message)
        except redis.RedisError as error:  # the charts' history may miss a point; the stream must not stop
            logger.warning("Stream %s: could not store its metrics: %s", self._stream_id, error)
        self._store_counts(counts)

    def _store_counts(self, counts: stream_counters.CounterDeltas) -> None:
        try:
            stream_counters.counters_add(stream_id=self._stream_id, deltas=counts)
        except redis.RedisError as error:  # a scrape may miss some counts; the stream must not stop
            logger.warning("Stream %s: could not store its counters: %s", self._stream_id, error)

    def _publish_analytics(self, run: RunningPipeline, fps: float) -> None:
        """Store the counts of the last second and send the live counters (with the metrics' rhythm)."""
        if run.analytics is None:
            return
        try:
            message = run.analytics.report(fps)
        except Exception as error:  # noqa: BLE001 - counters may miss a beat; the stream must not stop
            logger.warning("Stream %s: analytics report failed: %s", self._stream_id, error)
            return
        self._publisher.publish(stream_group(self._stream_id), dict(message))

    def _report_exit(self, outcome: Outcome) -> None:
        if outcome is Outcome.LEASE_LOST:
            return
        if outcome is Outcome.FAILED:
            status.stream_report_failure(
                stream_id=self._stream_id, holder=self._lease.holder, reason=self._failure_reason, worker=self._worker
            )
        elif outcome is Outcome.RELEASE:
            self._report(Status.STARTING, "moving to a worker on its new queue")
        else:
            self._report(Status.STOPPED, "")

    def _report(self, observed_status: str, reason: str) -> bool:
        """False if the database did not take it (reported again on a later tick); a refusal is an answer."""
        try:
            status.stream_report_status(stream_id=self._stream_id, holder=self._lease.holder, status=observed_status,
                                        reason=reason, worker=self._worker)  # fmt: skip
        except DatabaseError as error:
            self._database_busy(error)
            return False
        return True
