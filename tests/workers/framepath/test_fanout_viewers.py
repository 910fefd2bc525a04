"""Viewer counting per stream and size (streams.viewers) on the embedded Valkey: what workers read to decide
which sizes to encode."""

import time

import pytest

from streams import viewers
from streams.control import redis_client


@pytest.fixture
def stream_id() -> int:
    """A stream number no other test uses; its registrations are removed afterwards."""
    stream_id = 900_000 + time.monotonic_ns() % 100_000
    yield stream_id
    redis_client().delete(*(f"streamvision:viewers:{stream_id}:{size}" for size in viewers.SIZES))


def test_viewers_are_counted_per_size_and_forgotten_on_leaving(stream_id):
    """GIVEN two full-size viewers and one tile viewer WHEN one full-size viewer leaves
    THEN the counts follow, and registering the same viewer twice counts it once."""
    for viewer, size in (("a", "full"), ("b", "full"), ("c", "tile"), ("c", "tile")):
        viewers.viewer_add(stream_id=stream_id, size=size, viewer=viewer)
    assert viewers.viewer_counts(stream_id=stream_id) == {"full": 2, "tile": 1}
    viewers.viewer_remove(stream_id=stream_id, size="full", viewer="a")
    assert viewers.viewer_counts(stream_id=stream_id) == {"full": 1, "tile": 1}


def test_a_viewer_that_vanished_expires(stream_id, monkeypatch):
    """GIVEN a viewer whose web server died without unregistering WHEN its registration is older than the TTL
    THEN it no longer counts."""
    viewers.viewer_add(stream_id=stream_id, size="tile", viewer="ghost")
    monkeypatch.setattr(viewers.time, "time", lambda: time.monotonic() + 10**10)
    assert viewers.viewer_counts(stream_id=stream_id) == {"full": 0, "tile": 0}


def test_watched_sizes_follow_viewers_after_the_cache_age(stream_id):
    """GIVEN a WatchedSizes with no cache WHEN a tile viewer arrives and leaves THEN the sizes follow."""
    watched = viewers.WatchedSizes(stream_id, max_age_s=0)
    assert watched() == frozenset()
    viewers.viewer_add(stream_id=stream_id, size="tile", viewer="x")
    assert watched() == frozenset({"tile"})
    viewers.viewer_remove(stream_id=stream_id, size="tile", viewer="x")
    assert watched() == frozenset()


def test_size_names_from_the_query_string():
    """GIVEN what a client may ask for WHEN parsed THEN tile and none are honoured and anything else is full."""
    assert [viewers.parse_size(raw) for raw in ("tile", "none", "full", None, "huge")] == [
        "tile", None, "full", "full", "full"
    ]
