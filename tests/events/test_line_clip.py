"""End to end on a real clip through the running product (web, worker with the real Triton, deliverer, the real
Mosquitto): a "line crossed" rule on traffic_highway.mp4, on the line whose crossings were counted by eye in
tests/analytics/runtime/data/traffic_highway_line.json (11 vehicles, all "in"; how they were counted is there).

The worker plays the file like a camera, looped, at the rate this machine processes it; one pass lasts PASS_S.
Crossings repeat every pass, so any window of PASS_S seconds holds each vehicle's crossing once: the events of
the window that starts at the first event are one pass's events.
"""

import json
import urllib.parse
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.events.live import (
    DelivererProcess,
    MqttSubscriber,
    deliverer_env,
    eventually,
    make_rule,
    make_stream,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]

TRUTH = json.loads((Path(__file__).parents[1] / "analytics" / "runtime" / "data" / "traffic_highway_line.json")
                   .read_text())  # fmt: skip
PASS_S = 335 / 29.8  # the clip's frames at its declared rate: 11.2 s


def _events(stack, rule_id: int, since: datetime | None = None, until: datetime | None = None) -> list[dict]:
    query = {"rule": rule_id, "limit": 1000}
    query |= {"since": since.isoformat(), "until": until.isoformat()} if since and until else {}
    return stack.api("GET", "/api/events/?" + urllib.parse.urlencode(query)).body["results"]


def _moment(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def test_a_line_rule_on_the_traffic_clip_makes_one_event_per_vehicle_and_mqtt_keeps_the_counts(
    live_stack, tmp_path
):
    """GIVEN the highway stream with its counting line, an "in" and an "out" line rule, a deliverer with MQTT and
    a subscriber WHEN the stream plays THEN one pass of the clip makes 11 "in" events (±10 %: 10 to 12), each
    started and ended at its crossing with a snapshot, and no "out" event; after the stream stops, the line's
    retained MQTT topic holds the same totals the API stores."""
    stream_id = make_stream(live_stack, "events-highway", str(live_stack.assets_dir / TRUTH["clip"]))
    line = live_stack.api("POST", f"/api/streams/{stream_id}/lines/", {"name": "across", **{
        k: TRUTH["line"][k] for k in ("points", "in_side", "anchor")}})  # fmt: skip
    assert line.status == 201, line.body
    line_id = line.body["id"]
    rule_in = make_rule(live_stack, stream_id, name="in", kind="line_crossed", line=line_id, direction="in")
    rule_out = make_rule(live_stack, stream_id, name="out", kind="line_crossed", line=line_id, direction="out")
    deliverer = DelivererProcess(env=deliverer_env(live_stack), log_path=tmp_path / "deliver.log").start()
    topic = f"{deliverer.env['MQTT_TOPIC_PREFIX']}/streams/{stream_id}/lines/{line_id}"
    subscriber = MqttSubscriber([topic]).start()
    try:
        live_stack.api("POST", f"/api/streams/{stream_id}/start/")
        first = eventually(lambda: _events(live_stack, rule_in["id"])[-1:], timeout=180, what="a first crossing")[0]
        start = _moment(first["started_at"]) - timedelta(seconds=0.3)
        end = start + timedelta(seconds=PASS_S)
        eventually(lambda: _events(live_stack, rule_in["id"], since=end, until=end + timedelta(days=1)),
                   timeout=60, what="a crossing after the first pass")  # fmt: skip
        live_stack.api("POST", f"/api/streams/{stream_id}/stop/")
        live_stack.wait_for_status(stream_id, "stopped", timeout=60)
        one_pass = _events(live_stack, rule_in["id"], since=start, until=end)
        outs = _events(live_stack, rule_out["id"])
        stored = _stored_in(live_stack, stream_id, line_id)
        retained = eventually(lambda: [m for m in subscriber.json_on(topic) if m["in"] == stored], timeout=30,
                              what=f"the line's counts on MQTT at {stored} in")  # fmt: skip
    finally:
        subscriber.stop()
        deliverer.stop()
    print(f"\none pass: {len(one_pass)} 'in' events (hand count {TRUTH['ground_truth']['in']}); all 'in' events: "
          f"{len(_events(live_stack, rule_in['id']))}, 'out': {len(outs)}; stored 'in' count {stored}")
    assert abs(len(one_pass) - TRUTH["ground_truth"]["in"]) <= 0.1 * TRUTH["ground_truth"]["in"]
    assert outs == []
    assert all(e["started_at"] == e["ended_at"] and e["end_reason"] == "crossed" for e in one_pass)
    assert all(e["has_snapshot"] and e["kind"] == "line_crossed" for e in one_pass)
    assert len({e["tracker_id"] for e in one_pass}) == len(one_pass)  # one event per vehicle, none twice
    assert retained[-1]["name"] == "across" and retained[-1]["out"] == 0


def _stored_in(stack, stream_id: int, line_id: int) -> int:
    """The line's 'in' total as stored, once the stopped stream's last counts are in (they stop changing)."""
    def total() -> int:
        rows = stack.api("GET", f"/api/streams/{stream_id}/counts/").body  # the last hour, per minute
        return sum(r["count"] for r in rows if (r["kind"], r["object_id"], r["metric"]) == ("line", line_id, "in"))

    seen: list[int] = []
    eventually(lambda: bool(seen.append(total()) or (len(seen) >= 2 and seen[-1] == seen[-2] > 0)), timeout=30,
               interval=1.0, what="the stored counts to settle")  # fmt: skip
    return seen[-1]
