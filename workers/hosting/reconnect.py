"""A live source that was lost: the runner reopens it (a fresh pipeline per attempt) after a growing wait, and
reports what it is doing (workers.hosting.observe.observe_outage): "reconnecting" with the attempt and the wait, then
"failed: source unreachable since HH:MM" once it has been down too long, still trying in the background, so the
stream runs again by itself when the source comes back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from streams.lifecycle import retry_delay_s
from streams.models import Stream
from workers.framepath.pipeline import RunningPipeline
from workers.hosting.observe import Observed, observe_outage


@dataclass(frozen=True)
class ReconnectPolicy:
    base_s: float = 1.0
    max_s: float = 10.0
    fail_after_s: float = 300.0

    @classmethod
    def from_settings(cls) -> ReconnectPolicy:
        return cls(
            base_s=settings.STREAM_RECONNECT_BASE_S,
            max_s=settings.STREAM_RECONNECT_MAX_S,
            fail_after_s=settings.STREAM_SOURCE_FAIL_AFTER_S,
        )


@dataclass
class SourceOutage:
    """Since when the source is down, and which attempt to reopen it comes next."""

    policy: ReconnectPolicy
    down_since: float = field(default_factory=time.time)  # wall clock, for "since HH:MM"
    attempt: int = 0
    next_in_s: float = 0.0
    failed_shown: bool = False  # the stream was reported failed: its recovery passes through starting

    def next_attempt(self) -> float:
        """The wait before the next attempt (base, 2×base … max)."""
        self.attempt += 1
        self.next_in_s = retry_delay_s(self.attempt, base_s=self.policy.base_s, max_s=self.policy.max_s)
        return self.next_in_s

    def observed(self) -> Observed:
        since = timezone.localtime(datetime.fromtimestamp(self.down_since, tz=UTC))
        shown = observe_outage(
            attempt=self.attempt, next_in_s=self.next_in_s, down_s=time.time() - self.down_since,
            down_since=since.strftime("%H:%M"), fail_after_s=self.policy.fail_after_s,
        )  # fmt: skip
        self.failed_shown = self.failed_shown or shown.status == Stream.Status.FAILED
        return shown

    @staticmethod
    def attempt_lost(run: RunningPipeline, now: float, stall_limit_s: float) -> bool:
        """This reopening failed: the pipeline ended (the source would not open), its source went down again, or
        no frame came in time."""
        waited = now - run.awake_since
        return run.watch.ended.is_set() or run.watch.source_down or (
            run.metrics.frames_total == 0 and waited > 2 * stall_limit_s + 3
        )
