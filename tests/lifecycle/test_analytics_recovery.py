"""Counts that survive: a zone edit while the stream runs, and a SIGKILL of the worker process running it.

The worker stores what it counted about once a second, in the same tick that sends the live counters, so
everything an operator has seen is stored; a SIGKILL loses at most what was counted after that tick. The
worker that takes the stream over starts from the stored totals, never from zero.
"""

import json
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.lifecycle.conftest import elapsed_until
from tests.lifecycle.test_recovery import _running_stream

pytestmark = [pytest.mark.stack, pytest.mark.lifecycle]

DATA = Path(__file__).resolve().parents[1] / "analytics" / "runtime" / "data" / "traffic_highway_line.json"
LINE = json.loads(DATA.read_text())["line"]
NEAR = [[0.2, 0.6], [0.8, 0.6], [0.97, 0.97], [0.03, 0.97]]


def _counters(watcher, since: float = 0.0, origin: str | None = None) -> list[dict]:
    return [m for at, m in list(watcher.messages)
            if at >= since and m.get("type") == "stream.analytics" and origin in (None, m.get("origin"))]  # fmt: skip


def _latest(watcher, **filters) -> dict | None:
    found = _counters(watcher, **filters)
    return found[-1] if found else None


def _line_in(message: dict | None) -> int:
    return sum(message["lines"][0]["counts"]["in"].values()) if message and message["lines"] else 0


def _zone_entries(message: dict | None) -> int:
    return sum(message["zones"][0]["counts"]["enter"].values()) if message and message["zones"] else 0


def _stored(stack, stream_id: int, metric: str) -> int:
    now = datetime.now(UTC)
    query = f"bucket=day&from={(now - timedelta(days=1)).timestamp()}&to={(now + timedelta(days=1)).timestamp()}"
    rows = stack.api("GET", f"/api/streams/{stream_id}/counts/?{query}").body
    return sum(row["count"] for row in rows if row["metric"] == metric)


def test_counts_survive_a_zone_edit_and_a_kill_9_of_the_worker(lifecycle_stack, watch_group, assets_dir):
    """GIVEN the highway video running with a line across the lanes and a zone over the near lanes, vehicles
    counted WHEN the zone is renamed and moved through the API THEN the running stream shows it within 2 s
    and no count goes back; WHEN the pool process running the stream is killed with SIGKILL THEN the stored
    totals hold at least what its last live counters showed, the worker that takes over starts from exactly
    the stored totals (not zero, no entry added for vehicles already in the zone), and counts on."""
    stack = lifecycle_stack
    source = str(assets_dir / "traffic_highway.mp4")
    with _running_stream(stack, "counting", source, max_fps=15) as stream_id:
        watcher = watch_group(stream_id)
        url = f"/api/streams/{stream_id}"
        assert stack.api("POST", f"{url}/lines/", {"name": "across", **LINE}).status == 201
        zone = stack.api("POST", f"{url}/zones/", {"name": "near", "points": NEAR}).body
        elapsed_until(lambda: _line_in(_latest(watcher)) >= 3 and _zone_entries(_latest(watcher)) >= 2, timeout=45,
                      what="vehicles to be counted")  # fmt: skip

        before, edited = _latest(watcher), time.monotonic()
        moved = [[0.2, 0.62], [0.8, 0.62], [0.97, 0.97], [0.03, 0.97]]
        assert stack.api("PATCH", f"{url}/zones/{zone['id']}/", {"name": "near lanes", "points": moved}).status == 200
        applied = elapsed_until(lambda: any(m["zones"][0]["name"] == "near lanes" for m in _counters(watcher, edited)),
                                timeout=5, what="the edit to reach the running stream")  # fmt: skip
        after = _latest(watcher, since=edited)
        assert _line_in(after) >= _line_in(before) and _zone_entries(after) >= _zone_entries(before)

        old_holder = stack.lease_holder(stream_id)
        shown = _latest(watcher, origin=old_holder)
        os.kill(int(old_holder.split(":")[-2]), signal.SIGKILL)
        killed = time.monotonic()
        stored_in, stored_entries = _stored(stack, stream_id, "in"), _stored(stack, stream_id, "enter")
        assert stored_in >= _line_in(shown) and stored_entries >= _zone_entries(shown)

        elapsed_until(lambda: stack.lease_holder(stream_id) not in (None, old_holder), timeout=20,
                      what="another worker to take the stream")  # fmt: skip
        new_holder = stack.lease_holder(stream_id)
        resumed = elapsed_until(lambda: _latest(watcher, since=killed, origin=new_holder) is not None, timeout=20,
                                what="counters from the new worker")  # fmt: skip
        first = _counters(watcher, since=killed, origin=new_holder)[0]
        assert (_line_in(first), _zone_entries(first)) == (stored_in, stored_entries)
        elapsed_until(lambda: _line_in(_latest(watcher, origin=new_holder)) > stored_in, timeout=30,
                      what="the new worker to count on")  # fmt: skip
        elapsed_until(lambda: _stored(stack, stream_id, "in") == _line_in(_latest(watcher, origin=new_holder)),
                      timeout=5, what="what it shows to be stored")  # fmt: skip
        print(f"\nzone edit applied after {applied:.2f} s; after SIGKILL: stored in={stored_in} "
              f"entries={stored_entries} (last shown in={_line_in(shown)}), counters again after {resumed:.2f} s")
