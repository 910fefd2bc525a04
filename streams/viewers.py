"""Who watches which stream at which size, so workers encode a frame only for sizes somebody watches.

Each WebSocket viewer registers under (stream, size) in a Redis sorted set: member = its channel name,
score = when the registration expires. The consumer refreshes it while connected and removes it on
disconnect; a Daphne that dies without saying goodbye is forgotten after VIEWER_TTL_S. Workers read the
live sizes through WatchedSizes, which caches the answer briefly so the frame path costs one Redis round
trip per half second, not per frame.
"""

import logging
import threading
import time
from typing import Literal

import redis

from core import redis_keys
from streams.control import redis_client

logger = logging.getLogger(__name__)

Size = Literal["full", "tile"]
SIZES: tuple[Size, ...] = ("full", "tile")
# Wall tiles are scaled to this width (height follows the aspect ratio); "full" is the frame as captured.
TILE_WIDTH = 480
VIEWER_TTL_S = 30.0
REFRESH_S = 10.0  # how often a connected viewer renews its registration (well inside the TTL)


def parse_size(raw: str | None) -> Size | None:
    """The size a client asks for: "tile", "none" (status and metrics only, no frames), else "full"."""
    if raw == "none":
        return None
    return "tile" if raw == "tile" else "full"


def frame_group(stream_id: int, size: Size) -> str:
    """The channel-layer group carrying one stream's frames at one size (metrics and status go elsewhere)."""
    return f"stream-{stream_id}.frames.{size}"


def _key(stream_id: int, size: Size) -> str:
    return redis_keys.viewers_key(stream_id, size)


def viewer_add(*, stream_id: int, size: Size, viewer: str, client: redis.Redis | None = None) -> None:
    """Register (or renew) one viewer; idempotent."""
    client = client or redis_client()
    key = _key(stream_id, size)
    pipe = client.pipeline()
    pipe.zadd(key, {viewer: time.time() + VIEWER_TTL_S})
    pipe.expire(key, int(VIEWER_TTL_S * 2))
    pipe.execute()


def viewer_remove(*, stream_id: int, size: Size, viewer: str, client: redis.Redis | None = None) -> None:
    (client or redis_client()).zrem(_key(stream_id, size), viewer)


def viewer_counts(*, stream_id: int, client: redis.Redis | None = None) -> dict[Size, int]:
    """Live viewers of one stream per size (expired registrations are dropped on the way)."""
    client = client or redis_client()
    now = time.time()
    pipe = client.pipeline()
    for size in SIZES:
        pipe.zremrangebyscore(_key(stream_id, size), "-inf", now)
        pipe.zcard(_key(stream_id, size))
    replies = pipe.execute()
    return {size: int(replies[2 * i + 1]) for i, size in enumerate(SIZES)}


class WatchedSizes:
    """The sizes of one stream somebody watches, cached for `max_age_s`. Thread-safe; never raises: if Redis
    cannot be read the last answer stands (a broker hiccup must not end a pipeline)."""

    def __init__(self, stream_id: int, max_age_s: float = 0.5, client: redis.Redis | None = None) -> None:
        self._stream_id = stream_id
        self._max_age_s = max_age_s
        self._client = client
        self._lock = threading.Lock()
        self._sizes: frozenset[Size] = frozenset()
        self._read_at = float("-inf")

    def __call__(self) -> frozenset[Size]:
        with self._lock:
            if time.monotonic() - self._read_at >= self._max_age_s:
                self._sizes = self._read()
                self._read_at = time.monotonic()
            return self._sizes

    def _read(self) -> frozenset[Size]:
        try:
            counts = viewer_counts(stream_id=self._stream_id, client=self._client)
        except redis.RedisError as error:
            logger.warning("Stream %s: could not read its viewers: %s", self._stream_id, error)
            return self._sizes
        return frozenset(size for size, count in counts.items() if count > 0)
