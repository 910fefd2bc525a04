"""Issue 13, finding 5: the last accepted command wins, whatever the interleaving. Commands on a stream are
ordered by its desired_version (compare-and-set); after a burst, the stored desired state, the newest logged
command and the observed status are all those of the command that got the highest version."""

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = [pytest.mark.stack, pytest.mark.lifecycle]

VERBS = ("start", "stop", "pause", "resume", "restart")
DESIRED = {"start": "running", "resume": "running", "restart": "running", "stop": "stopped", "pause": "paused"}
ROUNDS, BURST = 20, 10


def test_ten_concurrent_commands_twenty_times_end_as_the_last_accepted_one(lifecycle_stack, shared_rtsp):
    """GIVEN a running stream WHEN 10 random commands are sent at once, 20 rounds THEN after each round the
    desired state is that of the command answered with the highest desired_version, the newest command in the
    event log is that command, and the observed status settles on it (running, paused or stopped)."""
    stack = lifecycle_stack
    created = stack.api("POST", "/api/streams/", {"name": "burst", "source": shared_rtsp.url, "max_fps": 5})
    assert created.status == 201, created.body
    stream_id = created.body["id"]
    rng = random.Random(13)
    settle_times = []
    try:
        stack.wait_for_status(stream_id, "running", timeout=60)
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            for round_no in range(ROUNDS):
                verbs = [rng.choice(VERBS) for _ in range(BURST)]
                answers = list(pool.map(lambda verb: (verb, stack.api("POST", f"/api/streams/{stream_id}/{verb}/")),
                                        verbs))
                assert all(response.status == 202 for _, response in answers), answers
                last_verb, last = max(answers, key=lambda pair: pair[1].body["desired_version"])
                versions = sorted(response.body["desired_version"] for _, response in answers)
                assert len(set(versions)) == BURST, f"round {round_no}: versions not unique {versions}"
                expected = DESIRED[last_verb]
                stream = stack.stream(stream_id)
                assert (stream["desired_state"], stream["desired_version"]) == (expected, versions[-1]), round_no
                events = stack.api("GET", f"/api/streams/{stream_id}/events/?limit=50").body
                assert next(e["message"] for e in events if e["kind"] == "command") == last_verb, round_no
                started = time.monotonic()
                stack.wait_for_status(stream_id, expected, timeout=20)
                settle_times.append(time.monotonic() - started)
        settle_times.sort()
        print(f"\n{ROUNDS} bursts of {BURST} commands: settled in median {settle_times[len(settle_times) // 2]:.2f} s, "
              f"max {settle_times[-1]:.2f} s")
    finally:
        stack.api("DELETE", f"/api/streams/{stream_id}/")
