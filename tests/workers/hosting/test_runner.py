"""The runner's loop (workers/hosting/runner.py) while it waits for Triton: the same tick that supervises a pipeline
follows commands and keeps the lease. Real database and Valkey; only Triton, out of reach here, is faked."""

import threading
import time

import pytest
from django.db import OperationalError, connections

from stack.processes import wait_until
from streams import control, reconciler, services
from streams.models import Stream
from workers.framepath.annotate import FrameAnnotator
from workers.hosting.lease import StreamLease
from workers.hosting.runner import StreamRunner

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]


def unreachable_triton(model_name: str):  # noqa: ANN201 - never returns
    raise ConnectionRefusedError(f"[Errno 111] Connection refused ({model_name})")


class NoPublisher:
    def publish(self, group: str, message: dict, timeout: float = 2.0) -> bool:
        raise AssertionError("nothing is published while waiting for Triton")


def _reason(stream_id: int) -> str:
    """The stored reason; "" while the runner's thread writes (the in-memory test database's shared cache locks
    a table for a write without waiting, unlike a database file)."""
    try:
        return Stream.objects.get(pk=stream_id).status_reason
    except OperationalError:
        return ""


@pytest.fixture
def waiting_runner(monkeypatch):
    """A stream that should run, and its runner started in a thread, waiting for a Triton it cannot reach."""
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)
    stream = services.stream_create(name="cam", source="0", start=False)
    Stream.objects.filter(pk=stream.pk).update(desired_state="running", status="starting")
    lease = StreamLease(stream.pk, "w1:1:test", ttl_s=5)
    runner = StreamRunner(
        stream_id=stream.pk, worker="w1", lease=lease, detector_factory=unreachable_triton,
        publisher=NoPublisher(), annotator=FrameAnnotator.init(), poll_s=0.05, stall_s=3.0,
    )

    def run() -> None:
        try:
            runner.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_until(lambda: "waiting for Triton" in _reason(stream.pk), timeout=10, interval=0.02,
               what="the runner to say it waits for Triton")
    yield stream, thread
    control.redis_client().delete(f"streamvision:stream:{stream.pk}:lease")
    thread.join(timeout=5)


def test_a_stop_reaches_a_runner_that_waits_for_triton(waiting_runner):
    """GIVEN a runner waiting for Triton (its status says so) WHEN the operator
    stops the stream THEN the runner ends within a second, the stream is stopped, and its lease is free."""
    stream, thread = waiting_runner
    asked = time.monotonic()
    services.stream_stop(stream=Stream.objects.get(pk=stream.pk))
    thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - asked < 1.0
    assert Stream.objects.get(pk=stream.pk).status == "stopped"
    assert control.lease_holder(stream.pk) is None


def test_a_runner_that_loses_its_lease_while_waiting_ends_and_reports_nothing(waiting_runner):
    """GIVEN a runner waiting for Triton WHEN its lease expires and another worker takes the stream THEN the
    runner ends at its next renewal (about a second) without writing the stream's status, and leaves the new
    holder's lease alone."""
    stream, thread = waiting_runner
    control.redis_client().delete(f"streamvision:stream:{stream.pk}:lease")
    assert control.acquire_lease(stream.pk, "w2:1:other", ttl_s=5)
    Stream.objects.filter(pk=stream.pk).update(status_reason="taken over")
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert Stream.objects.get(pk=stream.pk).status_reason == "taken over"
    assert control.lease_holder(stream.pk) == "w2:1:other"


def test_a_runner_outlives_a_locked_database_and_follows_the_command_it_took_meanwhile(waiting_runner, monkeypatch):
    """GIVEN a runner waiting for Triton WHEN the operator stops the stream while the database answers "database
    is locked" to the runner's next five reads (SQLite under a crash storm) THEN the task does not die: it keeps
    its lease meanwhile, and follows the stop once the database answers, ending with the stream stopped."""
    from streams import selectors

    stream, thread = waiting_runner
    real_get, failures = selectors.stream_get, []

    def locked_five_times(*, stream_id: int):  # noqa: ANN202 - as selectors.stream_get
        if len(failures) < 5:
            failures.append(time.monotonic())
            raise OperationalError("database is locked")
        return real_get(stream_id=stream_id)

    monkeypatch.setattr(selectors, "stream_get", locked_five_times)
    services.stream_stop(stream=Stream.objects.get(pk=stream.pk))
    wait_until(lambda: len(failures) == 5, timeout=5, interval=0.02, what="five locked reads")
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert Stream.objects.get(pk=stream.pk).status == "stopped"
    assert control.lease_holder(stream.pk) is None
