import time

import pytest

from stack.processes import wait_until

pytestmark = pytest.mark.stack


def test_worker_runs_a_stream_and_stops_it_on_request_within_two_seconds(live_stack):
    """GIVEN the product running with a real prefork Celery worker
    WHEN a stream is added through the API, runs, and is then stopped
    THEN it reaches 'running', stops within 2 s of the request, frees its lease, and can run again."""
    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    created = live_stack.api("POST", "/api/streams/", {"name": "task-stop", "source": source, "max_fps": 5})
    assert created.status == 201, created.body
    stream_id = created.body["id"]
    live_stack.wait_for_status(stream_id, "running", timeout=60)

    requested = time.monotonic()
    assert live_stack.api("POST", f"/api/streams/{stream_id}/stop/").status == 202
    live_stack.wait_for_status(stream_id, "stopped", timeout=2.0)
    stop_latency = time.monotonic() - requested
    print(f"stop latency: {stop_latency:.2f} s")

    # The runner reports "stopped" while it still holds the lease (only the holder may report), then lets go.
    wait_until(lambda: live_stack.lease_holder(stream_id) is None, timeout=2, interval=0.02, what="lease released")
    assert live_stack.procs["worker-w1"].poll() is None

    assert live_stack.api("POST", f"/api/streams/{stream_id}/start/").status == 202
    live_stack.wait_for_status(stream_id, "running", timeout=30)
    live_stack.api("POST", f"/api/streams/{stream_id}/stop/")
    live_stack.wait_for_status(stream_id, "stopped", timeout=5)


def test_a_source_that_cannot_be_opened_fails_with_a_reason(live_stack):
    """GIVEN a stream whose RTSP camera refuses connections WHEN it starts THEN it is 'failed' with a reason."""
    created = live_stack.api(
        "POST", "/api/streams/", {"name": "dead-camera", "source": "rtsp://user:pw@127.0.0.1:9/live"}
    )
    assert created.status == 201, created.body
    stream = live_stack.wait_for_status(created.body["id"], "failed", timeout=30)
    assert stream["status_reason"]
    assert "pw@" not in stream["status_reason"]
