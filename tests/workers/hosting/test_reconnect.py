"""Issue 13, finding 6: a lost live source is reopened with a backoff and reported as such, then as failed
(still retried); detection counts stop with the frames. Plain values in, statuses and messages out."""

import time

from workers.framepath.metrics import StreamMetrics
from workers.hosting.observe import observe_outage
from workers.hosting.reconnect import ReconnectPolicy, SourceOutage


def test_an_outage_reports_its_attempt_and_wait_then_failed_since_when():
    """GIVEN a source lost a moment ago WHEN observed THEN reconnecting with the attempt and the wait; GIVEN
    it has been down longer than the limit THEN failed, saying since when and how often it is retried."""
    assert observe_outage(attempt=3, next_in_s=4, down_s=10, down_since="14:03", fail_after_s=300) == (
        "reconnecting", "attempt 3, next in 4 s")
    assert observe_outage(attempt=40, next_in_s=10, down_s=301, down_since="14:03", fail_after_s=300) == (
        "failed", "source unreachable since 14:03; retrying every 10 s")


def test_the_wait_between_attempts_grows_to_its_cap_and_failed_is_remembered():
    """GIVEN an outage with a 1 s base and a 5 s cap WHEN attempts follow each other THEN the waits are 1, 2, 4,
    5, 5 s; once it has shown failed (down past the limit) it remembers it, so the recovery passes through
    starting."""
    outage = SourceOutage(ReconnectPolicy(base_s=1, max_s=5, fail_after_s=60))
    assert [outage.next_attempt() for _ in range(5)] == [1, 2, 4, 5, 5]
    assert outage.observed().status == "reconnecting" and not outage.failed_shown
    outage.down_since = time.time() - 61
    assert outage.observed().status == "failed" and outage.failed_shown


def test_detections_now_are_empty_once_frames_stop():
    """GIVEN a stream whose last frame had a car and a truck WHEN a metrics window passes without a frame THEN
    the message counts no detection (the wall shows no stale counts), while the frame total stays."""
    metrics = StreamMetrics(1, interval_s=0.0)
    metrics.record_frame(["car", "truck"])
    assert metrics.snapshot_if_due()["detections"] == {"car": 1, "truck": 1}
    quiet = metrics.snapshot_if_due()
    assert quiet["detections"] == {} and quiet["frames_total"] == 1 and quiet["fps"] == 0
