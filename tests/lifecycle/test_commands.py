"""Operators' commands against real workers: bulk creation, every command from every state, pinning."""

import time
from collections.abc import Callable

import pytest

from tests.lifecycle.conftest import elapsed_until

pytestmark = [pytest.mark.stack, pytest.mark.lifecycle]

SETTLED = {"stop": "stopped", "pause": "paused", "resume": "running", "restart": "running", "start": "running"}


def _command(stack, stream_id: int, verb: str) -> None:
    response = stack.api("POST", f"/api/streams/{stream_id}/{verb}/")
    assert response.status == 202, (verb, response.body)


def test_ten_streams_added_at_once_all_run_each_exactly_once(lifecycle_stack, shared_rtsp, watch_group):
    """GIVEN two worker nodes WHEN 10 streams are created in one bulk API call THEN all run, each under exactly
    one lease, each publishing from exactly one pipeline."""
    stack = lifecycle_stack
    items = [{"name": f"bulk-{i}", "source": shared_rtsp.url, "max_fps": 2} for i in range(10)]
    response = stack.api("POST", "/api/streams/bulk/", items)
    assert response.status == 201, response.body
    ids = [stream["id"] for stream in response.body]
    try:
        watchers = {stream_id: watch_group(stream_id) for stream_id in ids}
        started = time.monotonic()
        took = elapsed_until(
            lambda: all(s["status"] == "running" for s in stack.api("GET", "/api/streams/").body if s["id"] in ids),
            timeout=90, interval=0.2, what="all 10 streams running",
        )
        print(f"\n10 streams via bulk API: all running after {took:.1f} s")
        holders = {stream_id: stack.lease_holder(stream_id) for stream_id in ids}
        assert all(holders.values()) and len(set(holders.values())) == 10
        elapsed_until(lambda: all(w.origins_since(started) for w in watchers.values()), timeout=20,
                      what="messages from every stream")
        time.sleep(2.5)  # two more metrics rounds from every pipeline, to catch a duplicate publisher
        for stream_id, watcher in watchers.items():
            assert set(watcher.origins_since(started)) == {holders[stream_id]}, stream_id
        workers = stack.api("GET", "/api/workers/").body
        assert sum(len(worker["streams_held"]) for worker in workers) >= 10
    finally:
        for stream_id in ids:
            stack.api("DELETE", f"/api/streams/{stream_id}/")


def test_bad_bulk_request_creates_nothing(lifecycle_stack):
    """GIVEN a bulk request with one invalid item WHEN sent THEN 400 names the item and no stream exists."""
    stack = lifecycle_stack
    before = len(stack.api("GET", "/api/streams/").body)
    response = stack.api("POST", "/api/streams/bulk/", [{"name": "ok-1", "source": "0"}, {"name": "", "source": "x"}])
    assert response.status == 400
    assert "1" in response.body
    assert len(stack.api("GET", "/api/streams/").body) == before


def _reach(stack, stream_id: int, state: str, rtsp) -> None:
    """Bring a stream (on a healthy camera) into `state`."""
    status = stack.stream(stream_id)["status"]
    if state == "stopped":
        if status != "stopped":
            _command(stack, stream_id, "stop")
        stack.wait_for_status(stream_id, "stopped", timeout=10)
    elif state in ("running", "paused"):
        _command(stack, stream_id, "start" if state == "running" else "pause")
        stack.wait_for_status(stream_id, state, timeout=30)
    elif state == "starting":
        _reach(stack, stream_id, "stopped", rtsp)
        _command(stack, stream_id, "start")
        assert stack.stream(stream_id)["status"] == "starting"
    elif state == "stopping":
        _reach(stack, stream_id, "running", rtsp)
        _command(stack, stream_id, "stop")
        assert stack.stream(stream_id)["status"] in ("stopping", "stopped")


@pytest.mark.parametrize("state", ["stopped", "starting", "running", "paused", "stopping"])
def test_every_command_twice_from_every_state_ends_as_asked(lifecycle_stack, shared_rtsp, state):
    """GIVEN a stream in a given state WHEN stop, pause, resume or restart is sent twice in a row THEN each
    request is accepted and the stream settles in the state asked for."""
    stack = lifecycle_stack
    created = stack.api("POST", "/api/streams/", {"name": f"matrix-{state}", "source": shared_rtsp.url,
                                                  "max_fps": 5, "start": False})
    assert created.status == 201, created.body
    stream_id = created.body["id"]
    latencies: dict[str, float] = {}
    try:
        for verb in ("stop", "pause", "resume", "restart"):
            _reach(stack, stream_id, state, shared_rtsp)
            requested = time.monotonic()
            _command(stack, stream_id, verb)
            _command(stack, stream_id, verb)
            stack.wait_for_status(stream_id, SETTLED[verb], timeout=30)
            latencies[verb] = time.monotonic() - requested
            desired = {"stop": "stopped", "pause": "paused"}.get(verb, "running")
            assert stack.stream(stream_id)["desired_state"] == desired
        print(f"\nfrom {state}: " + ", ".join(f"{verb} {took:.2f} s" for verb, took in latencies.items()))
    finally:
        stack.api("DELETE", f"/api/streams/{stream_id}/")


@pytest.mark.parametrize("last", ["resume", "pause", "stop"])
def test_stop_undone_at_once_ends_in_the_last_state_asked(lifecycle_stack, shared_rtsp, last):
    """GIVEN a running stream WHEN an operator toggles stop and another command back to back, five times, the
    stop often not yet acted on by the worker THEN the stream settles in the last state asked for, shown as
    such, under one lease."""
    stack = lifecycle_stack
    created = stack.api("POST", "/api/streams/", {"name": f"toggle-{last}", "source": shared_rtsp.url, "max_fps": 5})
    stream_id = created.body["id"]
    try:
        stack.wait_for_status(stream_id, "running", timeout=60)
        for _ in range(5):
            _command(stack, stream_id, "stop")
            _command(stack, stream_id, "pause" if last == "pause" else "resume")
        if last == "stop":
            _command(stack, stream_id, "stop")
        requested = time.monotonic()
        stream = stack.wait_for_status(stream_id, SETTLED[last], timeout=15)
        print(f"\ntoggled 5 times, then {last}: {SETTLED[last]} after {time.monotonic() - requested:.2f} s")
        assert stream["desired_state"] == {"resume": "running", "pause": "paused"}.get(last, "stopped")
        if last != "stop":
            time.sleep(1.5)  # a stale report would show up within a supervision tick or two
            assert stack.stream(stream_id)["status"] == SETTLED[last]
            assert stack.lease_holder(stream_id) is not None
    finally:
        stack.api("DELETE", f"/api/streams/{stream_id}/")


def test_commands_reach_a_running_stream_within_a_second(lifecycle_stack, shared_rtsp):
    """GIVEN a running stream WHEN paused, resumed and given a new confidence THEN each takes effect within
    a second, under the same lease holder (no restart), and the event log names who did it."""
    stack = lifecycle_stack
    created = stack.api("POST", "/api/streams/", {"name": "latency", "source": shared_rtsp.url, "max_fps": 5})
    stream_id = created.body["id"]
    try:
        stack.wait_for_status(stream_id, "running", timeout=60)
        holder = stack.lease_holder(stream_id)
        timings = {
            "pause": _timed(stack, lambda: _command(stack, stream_id, "pause"), stream_id, "paused"),
            "resume": _timed(stack, lambda: _command(stack, stream_id, "resume"), stream_id, "running"),
        }
        print("\ncommand -> effect: " + ", ".join(f"{verb} {took:.2f} s" for verb, took in timings.items()))
        assert all(took < 1.0 for took in timings.values()), timings
        assert stack.api("PATCH", f"/api/streams/{stream_id}/", {"confidence": 0.6}).status == 200
        assert stack.lease_holder(stream_id) == holder
        events = stack.api("GET", f"/api/streams/{stream_id}/events/").body
        assert {"pause", "resume"} <= {e["message"] for e in events if e["actor"] == "admin"}
        assert any(e["kind"] == "config" and "confidence" in e["message"] for e in events)
    finally:
        stack.api("DELETE", f"/api/streams/{stream_id}/")


def _timed(stack, action: Callable[[], None], stream_id: int, status: str) -> float:
    started = time.monotonic()
    action()
    stack.wait_for_status(stream_id, status, timeout=10)
    return time.monotonic() - started


def test_a_stream_pinned_to_a_queue_runs_only_on_a_worker_of_that_queue(lifecycle_stack, shared_rtsp):
    """GIVEN workers w1 (default queue) and w2 (default + gpu queue) WHEN a stream is pinned to the gpu queue
    THEN w2 runs it, and the worker registry shows both workers with their capacity and w2 holding it."""
    stack = lifecycle_stack
    created = stack.api("POST", "/api/streams/", {"name": "pinned", "source": shared_rtsp.url, "max_fps": 2,
                                                  "queue": stack.env["GPU_QUEUE"]})
    assert created.status == 201, created.body
    stream_id = created.body["id"]
    try:
        stream = stack.wait_for_status(stream_id, "running", timeout=60)
        assert stream["worker"].startswith("w2@")
        workers = {w["name"].split("@")[0]: w for w in stack.api("GET", "/api/workers/").body}
        assert (workers["w1"]["capacity"], workers["w2"]["capacity"]) == (7, 5)
        assert all(w["is_alive"] for w in workers.values())
        assert "pinned" in workers["w2"]["streams_held"]
        assert stack.env["GPU_QUEUE"] in workers["w2"]["queues"]
    finally:
        stack.api("DELETE", f"/api/streams/{stream_id}/")
