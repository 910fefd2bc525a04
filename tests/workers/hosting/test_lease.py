"""The runner's hold on a stream's lease (workers/hosting/lease.py), on a real Valkey, with a clock the test turns."""

import pytest

from streams import control
from workers.hosting.lease import StreamLease


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stream_id() -> int:
    yield 9100
    control.redis_client().delete("streamvision:stream:9100:lease")


def _ttl_ms(stream_id: int) -> int:
    return control.redis_client().pttl(f"streamvision:stream:{stream_id}:lease")


def test_only_one_holder_acquires_and_the_other_gives_way(stream_id):
    """GIVEN A holds the stream's lease WHEN B tries to acquire it THEN B is refused and A still holds it."""
    first, second = StreamLease(stream_id, "A", ttl_s=5), StreamLease(stream_id, "B", ttl_s=5)
    assert first.acquire()
    assert not second.acquire()
    assert control.lease_holder(stream_id) == "A"


def test_renewal_reaches_redis_only_when_due(stream_id):
    """GIVEN a freshly acquired 5 s lease WHEN renew_if_due is called before a second has passed THEN the TTL is
    left to run down; WHEN called after a second THEN the TTL is back to 5 s."""
    clock = Clock()
    lease = StreamLease(stream_id, "A", ttl_s=5, renew_every_s=1.0, clock=clock)
    assert lease.acquire()
    control.redis_client().pexpire(f"streamvision:stream:{stream_id}:lease", 3000)
    clock.now += 0.5
    assert lease.renew_if_due()
    assert _ttl_ms(stream_id) <= 3000
    clock.now += 0.6
    assert lease.renew_if_due()
    assert _ttl_ms(stream_id) > 4000


def test_a_lost_lease_fails_its_renewal_and_release_leaves_the_new_holder_alone(stream_id):
    """GIVEN A's lease expired and B took the stream WHEN A's renewal falls due THEN it fails (A must stop), and
    A's release does not free B's lease."""
    clock = Clock()
    lease = StreamLease(stream_id, "A", ttl_s=5, clock=clock)
    assert lease.acquire()
    control.redis_client().delete(f"streamvision:stream:{stream_id}:lease")
    assert StreamLease(stream_id, "B", ttl_s=5).acquire()
    clock.now += 1.0
    assert not lease.renew_if_due()
    lease.release()
    assert control.lease_holder(stream_id) == "B"


def test_release_frees_the_stream_for_the_next_holder(stream_id):
    """GIVEN A holds the lease WHEN A releases it THEN B can acquire it at once."""
    lease = StreamLease(stream_id, "A", ttl_s=5)
    assert lease.acquire()
    lease.release()
    assert control.lease_holder(stream_id) is None
    assert StreamLease(stream_id, "B", ttl_s=5).acquire()
