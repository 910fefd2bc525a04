"""What keeps the product running reports here, in Redis, for the system page and /metrics: each launcher's
children (state, restarts, last error), the beat scheduler's lease holder, and the reconciler's passes.

The reconciler's own fence lives here too: however many control workers receive reconcile tasks (several
control hosts, a slow pass overlapping the next), one pass acts at a time.
"""

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import redis

from core import redis_keys
from streams.control import redis_client

HOSTS_KEY = redis_keys.ops_key("hosts")
FENCE_KEY = redis_keys.ops_key("reconciler", "fence")
LAST_PASS_KEY = redis_keys.ops_key("reconciler", "last-pass")
BEAT_HOLDER_KEY = redis_keys.ops_key("beat", "holder")
HOST_REPORT_TTL_S = 15  # a launcher reports every 2 s; a host silent this long is gone

_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class HostReport:
    host: str
    roles: list[str]
    children: list[dict]  # name, pid, state, restarts, last_exit, last_error, exited_at (stack.supervisor)
    at: float  # unix time of the report


@dataclass(frozen=True)
class ReconcilerPass:
    at: float  # unix time the pass ended
    by: str  # the control worker (node:pid) that ran it
    acted: int
    took_s: float


def _host_key(host: str) -> str:
    return redis_keys.ops_key("host", host)


def host_report(*, host: str, roles: list[str], children: list[dict], client: redis.Redis | None = None) -> None:
    """A launcher's children, as of now."""
    report = {"host": host, "roles": roles, "children": children, "at": round(time.time(), 3)}
    with (client or redis_client()).pipeline() as pipe:
        pipe.set(_host_key(host), json.dumps(report), ex=HOST_REPORT_TTL_S).sadd(HOSTS_KEY, host).execute()


def hosts_read(client: redis.Redis | None = None) -> list[HostReport]:
    """Every launcher that reported recently, by host name."""
    client = client or redis_client()
    hosts = sorted(raw.decode() for raw in client.smembers(HOSTS_KEY))
    reports = []
    for host, raw in zip(hosts, client.mget([_host_key(h) for h in hosts]) if hosts else [], strict=True):
        if raw is None:
            client.srem(HOSTS_KEY, host)  # gone for good, or since Redis restarted: it reports again if alive
            continue
        data = json.loads(raw)
        reports.append(HostReport(host=host, roles=data["roles"], children=data["children"], at=data["at"]))
    return reports


@contextlib.contextmanager
def reconciler_fence(*, ttl_s: float, client: redis.Redis | None = None) -> Iterator[bool]:
    """True inside for the one pass allowed to act now; False if another pass holds the fence. The TTL frees
    the fence of a pass whose worker was killed mid-way."""
    client = client or redis_client()
    token = uuid.uuid4().hex
    acquired = bool(client.set(FENCE_KEY, token, nx=True, px=int(ttl_s * 1000)))
    try:
        yield acquired
    finally:
        if acquired:
            with contextlib.suppress(redis.RedisError):
                client.eval(_RELEASE_SCRIPT, 1, FENCE_KEY, token)


def reconciler_pass_record(*, by: str, acted: int, took_s: float, client: redis.Redis | None = None) -> None:
    data = {"at": round(time.time(), 3), "by": by, "acted": acted, "took_s": round(took_s, 4)}
    (client or redis_client()).set(LAST_PASS_KEY, json.dumps(data))


def reconciler_last_pass(client: redis.Redis | None = None) -> ReconcilerPass | None:
    raw = (client or redis_client()).get(LAST_PASS_KEY)
    return None if raw is None else ReconcilerPass(**json.loads(raw))


def beat_holder_record(*, holder: str, ttl_s: float, client: redis.Redis | None = None) -> None:
    """The beat process that holds the scheduler's lock says so on every tick, for as long as the lock lasts."""
    (client or redis_client()).set(BEAT_HOLDER_KEY, holder, px=int(ttl_s * 1000))


def beat_holder(client: redis.Redis | None = None) -> tuple[str, float] | None:
    """(holder, seconds its claim still lasts), or None when no beat holds the scheduler's lock."""
    client = client or redis_client()
    with client.pipeline() as pipe:
        raw, pttl = pipe.get(BEAT_HOLDER_KEY).pttl(BEAT_HOLDER_KEY).execute()
    return None if raw is None else (raw.decode(), max(pttl, 0) / 1000)
