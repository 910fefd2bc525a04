"""Redis keys shared by services and stream workers: commands to a running task, and the per-stream lease.

The lease (SET NX with a TTL, refreshed by the worker's heartbeat) is the fence that keeps exactly one
pipeline per stream; a command key is polled by the task holding the lease.
"""

import functools
from typing import Literal

import redis
from django.conf import settings

Command = Literal["stop", "restart"]
_PREFIX = "streamvision:stream"


@functools.cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def _command_key(stream_id: int) -> str:
    return f"{_PREFIX}:{stream_id}:command"


def _lease_key(stream_id: int) -> str:
    return f"{_PREFIX}:{stream_id}:lease"


def send_command(stream_id: int, command: Command) -> None:
    redis_client().set(_command_key(stream_id), command, ex=60)


def take_command(stream_id: int) -> Command | None:
    raw = redis_client().getdel(_command_key(stream_id))
    return raw.decode() if raw else None  # type: ignore[return-value]


def clear_command(stream_id: int) -> None:
    redis_client().delete(_command_key(stream_id))


def acquire_lease(stream_id: int, holder: str, ttl_s: float) -> bool:
    return bool(redis_client().set(_lease_key(stream_id), holder, nx=True, px=int(ttl_s * 1000)))


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
    return bool(redis_client().eval(_RENEW_SCRIPT, 1, _lease_key(stream_id), holder, int(ttl_s * 1000)))


def release_lease(stream_id: int, holder: str) -> None:
    redis_client().eval(_RELEASE_SCRIPT, 1, _lease_key(stream_id), holder)


def lease_holder(stream_id: int) -> str | None:
    raw = redis_client().get(_lease_key(stream_id))
    return raw.decode() if raw else None
