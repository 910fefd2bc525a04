"""A receiver that is down for a while (EVENTS_OUTAGE_S) while a camera keeps raising events (the real worker,
Triton and rules stage, the real deliverer): everything arrives after it returns, in order per stream, none lost, none
invented. Also measures the event latency (frame with the people → webhook received), before and after."""

import json
import os
import statistics
import time
from pathlib import Path

import pytest

from tests.events.live import (
    DelivererProcess,
    RtspCamera,
    deliverer_env,
    eventually,
    make_endpoint,
    make_rule,
    make_stream,
    people_on_and_off,
)
from tests.events.receiver import Receiver

pytestmark = [pytest.mark.stack, pytest.mark.slow]

# 30 s in `make test`: some 25 messages pile up and the backoff sits at its cap for most of it, as in a longer
# outage; docs/events.md's figures ran with EVENTS_OUTAGE_S=120.
OUTAGE_S = float(os.environ.get("EVENTS_OUTAGE_S", "30"))
# Latency samples taken before and after the outage (each); docs/events.md's figures ran with 20.
SAMPLES = int(os.environ.get("EVENTS_LATENCY_SAMPLES", "3"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def camera(tmp_path: Path):
    camera = RtspCamera(clip=people_on_and_off(tmp_path / "people.mp4"), log_path=tmp_path / "rtsp.log").start()
    yield camera
    camera.stop()


@pytest.fixture
def deliverer(live_stack, tmp_path: Path):
    process = DelivererProcess(env=deliverer_env(live_stack, MQTT_URL=""), log_path=tmp_path / "deliver.log").start()
    yield process
    process.stop()


def _latencies(receiver: Receiver, since: float, until: float) -> list[float]:
    """Seconds from the first frame with the people (the event's start) to the event.new at the receiver."""
    found = []
    for request in receiver.unique().values():
        if request.body["type"] == "event.new" and since <= request.at <= until:
            started = _unix(request.body["data"]["started_at"])
            found.append(request.at - started)
    return found


def _unix(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _deliveries(live_stack, endpoint_id: int) -> list[dict]:
    return live_stack.api("GET", f"/api/deliveries/?endpoint={endpoint_id}&limit=1000").body["results"]


def test_a_receiver_outage_loses_nothing_and_keeps_each_streams_order(live_stack, deliverer, camera):
    """GIVEN two streams of a camera showing people 3 s on, 3 s off, each with a person rule, and one endpoint
    WHEN the receiver is down for OUTAGE_S while events go on THEN after it returns every message is delivered,
    the receiver's de-duplicated messages are exactly the endpoint's deliveries (none lost, none invented), and
    per stream they arrived in outbox order; each event has its new and its end."""
    receiver = Receiver().start()
    endpoint = make_endpoint(live_stack, "outage-rx", receiver.url)
    receiver.secret = endpoint["secret"]
    streams = _person_streams(live_stack, camera.url)
    latencies = _latency_phase(receiver)
    receiver.stop()
    down_at = time.time()
    time.sleep(OUTAGE_S)  # the outage itself: a time in which events keep happening
    backlog = [d for d in _deliveries(live_stack, endpoint["id"]) if d["status"] == "pending"]
    assert len(backlog) >= 10, "too few events during the outage to judge"
    receiver.start()
    back_at = time.time()
    last = max(d["message_seq"] for d in backlog)
    eventually(lambda: all(d["status"] == "delivered" for d in _deliveries(live_stack, endpoint["id"])
                           if d["message_seq"] <= last), timeout=60, what="the backlog delivered")  # fmt: skip
    drained_s = time.time() - back_at
    latencies += _latency_phase(receiver)
    for stream_id in streams:
        live_stack.api("POST", f"/api/streams/{stream_id}/stop/")
    for stream_id in streams:
        live_stack.wait_for_status(stream_id, "stopped", timeout=30)
    deliveries = eventually(lambda: _all_delivered(live_stack, endpoint["id"]), timeout=60, what="all delivered")
    receiver.stop()
    _assert_each_message_once_in_stream_order(live_stack, receiver, deliveries, streams)
    figures = {
        "outage_s": round(back_at - down_at, 1), "backlog_messages": len(backlog),
        "backlog_delivered_in_s": round(drained_s, 2), "messages_total": len(deliveries),
        "events_total": len({d["event_id"] for d in deliveries}), "requests_total": len(receiver.requests),
        **_percentiles(latencies),
    }  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "events-delivery.json").write_text(json.dumps(figures, indent=2))
    assert figures["latency_p95_ms"] < 3000, figures


def _person_streams(live_stack, camera_url: str) -> list[int]:
    streams = [make_stream(live_stack, f"events-outage-{n}", camera_url, max_fps=5) for n in (1, 2)]
    for stream_id in streams:
        make_rule(live_stack, stream_id, name="people", classes=["person"], min_score=0.5)
        live_stack.api("POST", f"/api/streams/{stream_id}/start/")
    for stream_id in streams:
        live_stack.wait_for_status(stream_id, "running", timeout=60)
    return streams


def _latency_phase(receiver: Receiver) -> list[float]:
    """The receiver up until SAMPLES new events arrived: their latencies."""
    since = time.time()
    return eventually(lambda: (found := _latencies(receiver, since, time.time())) and len(found) >= SAMPLES and found,
                      timeout=8 * SAMPLES, what=f"{SAMPLES} events at the receiver")  # fmt: skip


def _assert_each_message_once_in_stream_order(live_stack, receiver: Receiver, deliveries: list, streams: list) -> None:
    kept = receiver.unique()
    assert set(kept) == {d["msg_id"] for d in deliveries} and len(kept) == len(deliveries)
    assert all(r.signature_ok for r in receiver.requests if r.answered == 200)
    for stream_id in streams:
        outbox_order = [d["msg_id"] for d in deliveries if d["stream_id"] == stream_id]
        arrival_order = [m for m, r in kept.items() if r.body["data"]["stream"]["id"] == stream_id]
        assert arrival_order == outbox_order, f"stream {stream_id} out of order"
        events = live_stack.api("GET", f"/api/events/?stream={stream_id}&limit=1000").body["results"]
        types = {(d["event_id"], d["type"]) for d in deliveries if d["stream_id"] == stream_id}
        assert events and all({(e["id"], "event.new"), (e["id"], "event.end")} <= types for e in events)


def _percentiles(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"latency_samples": len(ordered), "latency_p50_ms": round(statistics.median(ordered) * 1000),
            "latency_p95_ms": round(p95 * 1000)}  # fmt: skip


def _all_delivered(live_stack, endpoint_id: int) -> list[dict] | None:
    deliveries = _deliveries(live_stack, endpoint_id)
    return deliveries if deliveries and all(d["status"] == "delivered" for d in deliveries) else None
