"""Redis keys shared by services, the reconciler and stream workers.

- lease (SET NX with a TTL, renewed by the holder's heartbeat): the fence that keeps exactly one pipeline
  per stream. A holder that cannot renew it stops its pipeline.
- commands (a list the holder drains, blocking on it between its supervision ticks, so a command reaches
  the pipeline in milliseconds): the `Command` vocabulary below. Desired state itself lives in the
  database; commands only wake the holder, so a lost or repeated command never leaves a stream in the
  wrong state.
- dispatch ticket: set when a run task is queued, so the reconciler does not queue another while the
  first waits for a free worker; it expires, so a task lost with a killed worker is queued again.
"""

import functools
import logging
from enum import StrEnum

import redis
from django.conf import settings

from core import redis_keys

logger = logging.getLogger(__name__)


class Command(StrEnum):
    """What a command asks of the worker holding a stream."""

    SYNC = "sync"  # re-read the stream's desired state and settings, and follow them
    RESTART = "restart"  # rebuild the pipeline
    RELEASE = "release"  # let go of the stream: it was pinned to another queue, a worker there takes it


@functools.cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def _key(stream_id: int, name: str) -> str:
    return redis_keys.stream_key(stream_id, name)


def send_command(stream_id: int, command: Command) -> None:
    key = _key(stream_id, "commands")
    with redis_client().pipeline() as pipe:
        pipe.rpush(key, Command(command).value).expire(key, 60).execute()


def take_commands(stream_id: int, wait_s: float = 0.0) -> list[Command]:
    """Every pending command, oldest first; waits up to `wait_s` for the first one."""
    key = _key(stream_id, "commands")
    client = redis_client()
    first = client.blpop([key], timeout=wait_s) if wait_s > 0 else client.lpop(key)
    if not first:
        return []
    raw = [first[1] if isinstance(first, tuple | list) else first]
    with client.pipeline() as pipe:
        rest, _ = pipe.lrange(key, 0, -1).delete(key).execute()
    return [_parse(item) for item in raw + rest]  # type: ignore[arg-type]


def _parse(raw: bytes) -> Command:
    try:
        return Command(raw.decode())
    except ValueError:  # a word this worker does not know still means "look at the stream again"
        logger.warning("Unknown stream command %r; treating it as %s", raw, Command.SYNC)
        return Command.SYNC


def clear_commands(stream_id: int) -> None:
    redis_client().delete(_key(stream_id, "commands"))


def acquire_lease(stream_id: int, holder: str, ttl_s: float) -> bool:
    return bool(redis_client().set(_key(stream_id, "lease"), holder, nx=True, px=int(ttl_s * 1000)))


_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def renew_lease(stream_id: int, holder: str, ttl_s: float) -> bool:
    """Extend the lease only if `holder` still has it; False means the lease was lost."""
    return bool(redis_client().eval(_RENEW_SCRIPT, 1, _key(stream_id, "lease"), holder, int(ttl_s * 1000)))


def release_lease(stream_id: int, holder: str, client: redis.Redis | None = None) -> None:
    (client or redis_client()).eval(_RELEASE_SCRIPT, 1, _key(stream_id, "lease"), holder)


def leases_of_node(node: str, client: redis.Redis | None = None) -> dict[int, str]:
    """Every lease a process of worker node `node` holds (holders are `<node>:<pid>:<token>`), by stream id."""
    client = client or redis_client()
    keys = list(client.scan_iter(match=redis_keys.stream_key("*", "lease"), count=1000))
    held = {}
    for key, raw in zip(keys, client.mget(keys) if keys else [], strict=True):
        if raw is not None and raw.decode().startswith(f"{node}:"):
            held[int(key.decode().split(":")[2])] = raw.decode()
    return held


def lease_holder(stream_id: int) -> str | None:
    raw = redis_client().get(_key(stream_id, "lease"))
    return raw.decode() if raw else None


def lease_holders(stream_ids: list[int]) -> dict[int, str | None]:
    """One round trip for the reconciler's whole pass."""
    if not stream_ids:
        return {}
    values = redis_client().mget([_key(stream_id, "lease") for stream_id in stream_ids])
    return {stream_id: raw.decode() if raw else None for stream_id, raw in zip(stream_ids, values, strict=True)}


def claim_dispatch(stream_id: int, ttl_s: float) -> bool:
    """True for the one caller that may queue a run task now."""
    return bool(redis_client().set(_key(stream_id, "dispatched"), "1", nx=True, px=int(ttl_s * 1000)))


def extend_dispatch(stream_id: int, ttl_s: float) -> bool:
    """Keep a queued task's ticket while it waits for a worker; False if there is no ticket (no task queued)."""
    return bool(redis_client().set(_key(stream_id, "dispatched"), "1", xx=True, px=int(ttl_s * 1000)))


def release_dispatch(stream_id: int) -> None:
    redis_client().delete(_key(stream_id, "dispatched"))
