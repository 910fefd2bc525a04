"""The state machine and the backoff (streams/lifecycle.py)."""

import pytest

from streams import lifecycle
from streams.models import Stream

pytestmark = pytest.mark.lifecycle

S = Stream.Status


def test_every_status_can_reach_stopped_and_failed_needs_a_start_before_running():
    """GIVEN the transition table WHEN checked THEN stop is reachable from everywhere, a failed stream must
    pass through starting, and a stopped one cannot claim to be running."""
    for status in S.values:
        assert lifecycle.can_move(status, S.STOPPED) or lifecycle.can_move(status, S.STOPPING)
        assert lifecycle.can_move(status, status)
    assert not lifecycle.can_move(S.FAILED, S.RUNNING)
    assert not lifecycle.can_move(S.STOPPED, S.RUNNING)
    assert lifecycle.can_move(S.FAILED, S.STARTING)


def test_backoff_doubles_up_to_its_cap():
    """GIVEN consecutive failures WHEN the retry delay is computed THEN it doubles from the base up to the cap."""
    delays = [lifecycle.retry_delay_s(n, base_s=2, max_s=60) for n in range(1, 8)]
    assert delays == [2, 4, 8, 16, 32, 60, 60]
