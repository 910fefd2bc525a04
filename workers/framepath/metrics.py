"""Per-stream counters, turned into a metrics message about once a second, and the deltas of the counters
Prometheus reads (streams.stream_counters)."""

import threading
import time
from collections import Counter

from streams.messages import MetricsMessage
from streams.stream_counters import CounterDeltas


class StreamMetrics:
    def __init__(self, stream_id: int, origin: str = "", interval_s: float = 1.0) -> None:
        self._stream_id = stream_id
        self._origin = origin
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._window_frames = 0
        self._window_inference_s = 0.0
        self._window_batches = 0
        self._frames_total = 0
        self._errors = 0
        self._last_error = ""
        self._detections: dict[str, int] = {}
        self._counts = CounterDeltas()  # since the last take_counts()
        self.last_error_at = 0.0  # monotonic time of the last failed / successful inference
        self.last_success_at = 0.0
        self.last_frame_at = 0.0

    def record_inference(self, seconds: float) -> None:
        with self._lock:
            self._window_inference_s += seconds
            self._window_batches += 1
            self._counts.observe_latency(seconds)
            self.last_success_at = time.monotonic()

    def record_error(self, message: str) -> None:
        with self._lock:
            self._errors += 1
            self._counts.inference_errors += 1
            self._last_error = message[:300]
            self.last_error_at = time.monotonic()

    def record_frame(self, class_names: list[str]) -> None:
        with self._lock:
            self._window_frames += 1
            self._frames_total += 1
            self._counts.frames += 1
            self._detections = dict(Counter(class_names))
            self.last_frame_at = time.monotonic()

    def on_status_update(self, update: object) -> None:
        """A pipeline status handler: counts the frames the source dropped (its buffer was full)."""
        if getattr(update, "event_type", "") == "FRAME_DROPPED":
            with self._lock:
                self._counts.dropped_frames += 1

    def record_reconnect(self) -> None:
        with self._lock:
            self._counts.reconnects += 1

    def take_counts(self) -> CounterDeltas:
        """What was counted since the last call."""
        with self._lock:
            counts, self._counts = self._counts, CounterDeltas()
        return counts

    @property
    def frames_total(self) -> int:
        return self._frames_total

    @property
    def last_error(self) -> str:
        return self._last_error

    def inference_failing(self) -> bool:
        """True while the latest inference failed: the stream is up, Triton is not answering."""
        return self.last_error_at > self.last_success_at

    def snapshot_if_due(self) -> MetricsMessage | None:
        """A metrics message when the window has elapsed (and a new window starts), else None."""
        now = time.monotonic()
        with self._lock:
            elapsed = now - self._window_start
            if elapsed < self._interval_s:
                return None
            message = MetricsMessage(
                type="stream.metrics",
                stream_id=self._stream_id,
                at=round(time.time(), 3),
                fps=round(self._window_frames / elapsed, 2),
                inference_ms=round(1000 * self._window_inference_s / max(self._window_batches, 1), 2),
                # Counts of the latest frame, and none once frames stop: a dead camera shows no stale counts.
                detections=self._detections if self._window_frames else {},
                frames_total=self._frames_total,
                inference_errors=self._errors,
                last_error=self._last_error,
                origin=self._origin,
            )
            self._window_start, self._window_frames = now, 0
            self._window_inference_s, self._window_batches = 0.0, 0
            return message
