"""The stream state machine, written down in docs/lifecycle.md and enforced by streams.status.

Desired state is the operator's (running, paused, stopped); status is what the system observes. Only the
transitions below are accepted; a report that breaks them (a late report from a pipeline that has since
been replaced, say) is refused and logged.
"""

from streams.models import Stream

Status = Stream.Status
Desired = Stream.DesiredState

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.STOPPED: frozenset({Status.STARTING}),
    Status.STARTING: frozenset(
        {Status.RUNNING, Status.PAUSED, Status.RECONNECTING, Status.FAILED, Status.STOPPING, Status.STOPPED}
    ),
    Status.RUNNING: frozenset(
        {Status.STARTING, Status.PAUSED, Status.RECONNECTING, Status.FAILED, Status.STOPPING, Status.STOPPED}
    ),
    Status.PAUSED: frozenset(
        {Status.STARTING, Status.RUNNING, Status.RECONNECTING, Status.FAILED, Status.STOPPING, Status.STOPPED}
    ),
    Status.RECONNECTING: frozenset(
        {Status.STARTING, Status.RUNNING, Status.PAUSED, Status.FAILED, Status.STOPPING, Status.STOPPED}
    ),
    Status.FAILED: frozenset({Status.STARTING, Status.STOPPING, Status.STOPPED}),
    # A stop undone (start, resume, pause) before the holder acted on it: the pipeline never stopped.
    Status.STOPPING: frozenset(
        {Status.STARTING, Status.RUNNING, Status.PAUSED, Status.RECONNECTING, Status.STOPPED, Status.FAILED}
    ),
}

# Statuses that mean "a pipeline should exist": if no worker holds the lease, it died.
HELD_STATUSES = frozenset({Status.RUNNING, Status.PAUSED, Status.RECONNECTING, Status.STOPPING})
ACTIVE_DESIRED = frozenset({Desired.RUNNING, Desired.PAUSED})


def can_move(current: str, target: str) -> bool:
    """Staying in a state is always allowed (reports repeat); otherwise only the listed transitions."""
    return current == target or target in TRANSITIONS.get(current, frozenset())


def retry_delay_s(failures: int, *, base_s: float, max_s: float) -> float:
    """Exponential backoff for a stream that keeps failing: base, 2×base, 4×base … capped at max."""
    return min(base_s * 2 ** max(failures - 1, 0), max_s)


def settled_status(desired: str) -> str:
    """The status a healthy stream reaches for a desired state."""
    return {Desired.RUNNING: Status.RUNNING, Desired.PAUSED: Status.PAUSED}.get(desired, Status.STOPPED)
