"""Isolation on one worker node: a stream whose source misbehaves cannot slow or stop its healthy neighbours."""

import time

import pytest

from tests.lifecycle.conftest import elapsed_until

pytestmark = [pytest.mark.stack, pytest.mark.lifecycle]


def _create(stack, name: str, source: str) -> int:  # noqa: ANN001 - LiveStack
    # Pinned to w2's queue: every stream of this test runs on the same worker node, as neighbours.
    response = stack.api("POST", "/api/streams/", {"name": name, "source": source, "queue": stack.env["GPU_QUEUE"]})
    assert response.status == 201, response.body
    return response.body["id"]


def _samples(watcher, since: float, until: float) -> list[tuple[float, int, float]]:  # noqa: ANN001
    """(unix time, frames_total, fps) of each metrics message the watcher received in [since, until)."""
    return [(m["at"], m["frames_total"], m["fps"]) for at, m in list(watcher.messages)
            if m.get("type") == "stream.metrics" and since <= at < until]  # fmt: skip


def _rate(samples: list[tuple[float, int, float]]) -> float:
    (t0, f0, _), (t1, f1, _) = samples[0], samples[-1]
    return (f1 - f0) / (t1 - t0)


def test_a_misbehaving_source_cannot_slow_or_stop_a_healthy_neighbour(
    lifecycle_stack, shared_rtsp, rtsp_server, silent_server, watch_group
):
    """GIVEN a healthy 10 fps camera stream on a worker node WHEN two neighbours on the same node misbehave (one
    camera's server never answers, another's stalls mid-stream: killed while streaming) THEN the healthy stream
    keeps processing frames every second, at a rate within 20 % of its rate before."""
    stack = lifecycle_stack
    healthy = _create(stack, "healthy", shared_rtsp.url)
    created = [healthy]
    try:
        watcher = watch_group(healthy)
        stack.wait_for_status(healthy, "running", timeout=30)
        elapsed_until(lambda: len(_samples(watcher, 0, float("inf"))) >= 2, timeout=15, what="metrics")
        before_from = time.monotonic()
        elapsed_until(lambda: time.monotonic() - before_from > 5, timeout=6, what="5 s of metrics before")
        before = _rate(_samples(watcher, before_from, time.monotonic()))

        stalling = _create(stack, "stalling", rtsp_server.url)
        created.append(stalling)
        stack.wait_for_status(stalling, "running", timeout=30)
        created.append(_create(stack, "silent", silent_server))
        rtsp_server.stop()  # the camera stalls mid-stream: its stream now waits, reconnects and retries
        holders = {stack.lease_holder(sid) or "" for sid in (healthy, stalling)}
        assert all(holder.startswith("w2@") for holder in holders), holders

        during_from = time.monotonic()
        elapsed_until(lambda: time.monotonic() - during_from > 8, timeout=9, what="8 s of metrics during")
        during = _samples(watcher, during_from + 1, time.monotonic())  # the first second still averages the old
        rate = _rate(during)
        print(f"\nhealthy neighbour: {before:.1f} fps before, {rate:.1f} fps while neighbours misbehave; "
              f"per-second fps {[s[2] for s in during]}; statuses "
              f"{[stack.stream(sid)['status'] for sid in created[1:]]}")  # fmt: skip
        assert before > 5, f"the healthy stream should run near its camera's 10 fps first, got {before:.1f}"
        assert rate >= 0.8 * before, f"the neighbours slowed it: {before:.1f} → {rate:.1f} fps"
        assert min(s[2] for s in during) > 0, "some second passed without a frame: the neighbours stopped it"
        assert stack.stream(healthy)["status"] == "running"
    finally:
        for sid in created:
            stack.api("DELETE", f"/api/streams/{sid}/")
