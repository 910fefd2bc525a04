"""What a running pipeline shows, turned into the observed status its runner reports.

`PipelineWatch` collects what streamvision reports from the pipeline's own threads (errors, the source's
state, the end of inference); `observe()` maps a snapshot of plain values to (status, reason).
"""

import threading
from dataclasses import dataclass
from typing import NamedTuple

from streamvision.camera.entities import StatusUpdate, UpdateSeverity

from streams.models import Stream
from streams.sources import redact_source

Status = Stream.Status

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


@dataclass(frozen=True)
class PipelineState:
    """A snapshot of what a running pipeline reports, as plain values."""

    source_down: bool  # the source had run and is now lost
    source_error: str  # the latest error the pipeline reported ("" if none)
    paused: bool  # the source is muted
    frames_total: int
    quiet_s: float  # seconds since the last frame, or since the pipeline started or resumed if later
    inference_failing: bool  # the latest inference failed
    inference_error: str  # the latest inference error


class Observed(NamedTuple):
    status: str
    reason: str


def observe(state: PipelineState, *, stall_limit_s: float) -> Observed:
    """The status to report for `state`; no frame for `stall_limit_s` from a live source is a lost source."""
    if state.source_down:
        return Observed(Status.RECONNECTING, state.source_error or "the source was lost; reconnecting")
    if state.paused:
        return Observed(Status.PAUSED, "")
    if state.frames_total == 0:
        return Observed(Status.STARTING, "")
    if state.quiet_s > stall_limit_s:
        return Observed(Status.RECONNECTING, f"no frames for {state.quiet_s:.0f} s")
    if state.inference_failing:
        return Observed(Status.RUNNING, f"inference failing: {state.inference_error}")
    return Observed(Status.RUNNING, "")


def observe_outage(*, attempt: int, next_in_s: float, down_s: float, down_since: str, fail_after_s: float) -> Observed:
    """A live source lost after it had run, reopened with a backoff: reconnecting with the attempt and the wait,
    then failed once it has been down `fail_after_s` (the runner keeps trying, and runs again when it returns)."""
    if down_s >= fail_after_s:
        return Observed(Status.FAILED, f"source unreachable since {down_since}; retrying every {next_in_s:.0f} s")
    return Observed(Status.RECONNECTING, f"attempt {attempt}, next in {next_in_s:.0f} s")
