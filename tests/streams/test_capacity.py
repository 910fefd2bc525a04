"""Issue 13, finding 7: a stream that cannot get a worker says why (every slot of its queue busy, or no live
worker consumes its queue), the wall and the API show that same reason, and its run task is not queued again
and again while it waits. Real database and Valkey; the Celery broker is replaced by a list."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from streams import control, reconciler
from streams.models import Stream, WorkerNode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]


def _node(name: str, queues: list[str], capacity: int, alive: bool = True) -> WorkerNode:
    beat = timezone.now() - (timedelta() if alive else timedelta(minutes=5))
    return WorkerNode.objects.create(name=name, hostname="h", pid=1, queues=queues, capacity=capacity,
                                     started_at=beat, heartbeat_at=beat)


@pytest.fixture
def leases():
    """Leases taken by a test, released after it: stream ids come back in later tests."""
    taken: list[tuple[int, str]] = []
    yield taken
    for stream_id, holder in taken:
        control.release_lease(stream_id, holder)


@pytest.fixture
def busy(make_stream, leases):
    def make(node: str, count: int) -> None:
        """`count` streams running on `node` (their leases held by it)."""
        for index in range(count):
            stream = make_stream(name=f"busy-{node}-{index}", desired_state="running", status="running", worker=node)
            leases.append((stream.pk, f"{node}:100:{index}"))
            assert control.acquire_lease(stream.pk, f"{node}:100:{index}", ttl_s=30)

    return make


def test_a_stream_waiting_for_a_slot_says_how_many_are_busy_on_the_wall_and_in_the_api(
    make_stream, busy, dispatched, admin_client
):
    """GIVEN two live workers consuming "streams" with 6 slots, all busy WHEN another stream should run THEN it
    is starting with the reason "waiting: 6 of 6 slots busy on queue streams", shown alike by the API and its
    wall tile; WHEN a slot frees THEN the reason goes."""
    _node("w1@h", ["streams"], 4), _node("w2@h", ["streams", "gpu"], 2)
    busy("w1@h", 4), busy("w2@h", 2)
    waiting = make_stream(name="late", desired_state="running")
    reconciler.streams_reconcile()
    reason = "waiting: 6 of 6 slots busy on queue streams"
    assert Stream.objects.get(pk=waiting.pk).status_reason == reason
    assert admin_client.get(f"/api/streams/{waiting.pk}/").json()["status_reason"] == reason
    assert reason in admin_client.get(f"/streams/{waiting.pk}/tile/").content.decode()
    control.release_lease(Stream.objects.get(name="busy-w1@h-0").pk, "w1@h:100:0")
    reconciler.streams_reconcile()
    assert Stream.objects.get(pk=waiting.pk).status_reason == ""


def test_a_stream_pinned_to_a_queue_no_live_worker_consumes_says_so(make_stream, dispatched):
    """GIVEN a live worker on "streams" and a dead one that consumed "gpu" WHEN a stream pinned to "gpu" should
    run THEN its task is queued once and it says "no worker consumes queue gpu"."""
    _node("w1@h", ["streams"], 4), _node("old@h", ["gpu"], 4, alive=False)
    stream = make_stream(desired_state="running", queue="gpu")
    reconciler.streams_reconcile()
    assert dispatched == [(stream.pk, "gpu")]
    assert Stream.objects.get(pk=stream.pk).status_reason == "no worker consumes queue gpu"


@pytest.mark.parametrize("case", ["no worker", "all busy"])
def test_a_waiting_stream_is_not_queued_again_while_it_waits(make_stream, busy, dispatched, settings, case):
    """GIVEN a stream whose queued task waits (no worker for its queue, or every slot busy) and a dispatch
    ticket of 0.3 s WHEN the reconciler runs every 0.1 s for over three ticket lifetimes THEN the task was
    queued exactly once: a waiting task keeps its ticket."""
    settings.STREAM_DISPATCH_TTL_S = 0.3
    if case == "all busy":
        _node("w1@h", ["streams"], 1)
        busy("w1@h", 1)
    stream = make_stream(desired_state="running")
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:
        reconciler.streams_reconcile()
        time.sleep(0.1)  # the reconciler's beat, shortened: each pass is the thing under test
    assert [queued for queued in dispatched if queued[0] == stream.pk] == [(stream.pk, "streams")]
    assert Stream.objects.get(pk=stream.pk).status_reason.startswith(("no worker", "waiting:"))
