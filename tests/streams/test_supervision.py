"""streams.supervision on the embedded Valkey: the reconciler's fence, its recorded passes, the beat lock's
holder and the launchers' reports."""

import time

from streams import supervision
from streams.control import redis_client


def test_the_fence_lets_one_pass_act_at_a_time():
    """GIVEN a pass inside the fence WHEN a second pass tries it meanwhile THEN the second stands down, and once
    the first is done a third may act."""
    with supervision.reconciler_fence(ttl_s=30) as first, supervision.reconciler_fence(ttl_s=30) as second:
        assert (first, second) == (True, False)
    with supervision.reconciler_fence(ttl_s=30) as third:
        assert third


def test_a_fence_whose_holder_died_expires():
    """GIVEN a fence taken by a pass whose worker was killed (never released) WHEN its TTL has passed THEN
    another pass may act."""
    redis_client().set(supervision.FENCE_KEY, "a killed pass", px=200)
    with supervision.reconciler_fence(ttl_s=30) as blocked:
        assert not blocked
    time.sleep(0.25)  # the TTL itself is what is tested
    with supervision.reconciler_fence(ttl_s=30) as acting:
        assert acting


def test_passes_and_the_beat_holder_are_recorded():
    """GIVEN a recorded pass and a beat's claim WHEN read back THEN they say who, when, and for how long."""
    supervision.reconciler_pass_record(by="control@h:12", acted=2, took_s=0.004)
    supervision.beat_holder_record(holder="beat@h:34", ttl_s=5)

    last = supervision.reconciler_last_pass()
    holder, lasts_s = supervision.beat_holder()
    assert (last.by, last.acted) == ("control@h:12", 2) and time.time() - last.at < 5
    assert holder == "beat@h:34" and 4 < lasts_s <= 5


def test_host_reports_are_listed_and_a_silent_host_drops_out():
    """GIVEN two launchers' reports, one of which expired WHEN the hosts are read THEN only the live one is
    listed, with its children."""
    children = [{"name": "worker", "pid": 1, "state": "running", "restarts": 2, "last_exit": -9, "last_error": "",
                 "exited_at": None}]  # fmt: skip
    supervision.host_report(host="live-host", roles=["worker"], children=children)
    supervision.host_report(host="gone-host", roles=["web"], children=[])
    redis_client().delete("streamvision:ops:host:gone-host")

    reports = supervision.hosts_read()

    assert [r.host for r in reports] == ["live-host"]
    assert reports[0].children[0]["restarts"] == 2 and reports[0].roles == ["worker"]
