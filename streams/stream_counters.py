"""Per-stream counters that outlive pipelines and workers, for Prometheus (dashboard/metrics.py).

A pipeline counts in its worker process; about once a second the runner adds what it counted since (frames,
dropped frames, inference errors, reconnects, and each inference's latency into histogram buckets) to one
Redis hash per stream. The counters keep growing across restarts and moves to another worker, as Prometheus
counters should, and any web process can read them.
"""

import bisect
from dataclasses import dataclass, field

import redis

from core import redis_keys
from streams.control import redis_client

# Upper bounds (seconds) of the inference latency histogram; one more bucket counts what is above the last.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
COUNTERS = ("frames", "dropped_frames", "inference_errors", "reconnects")


@dataclass
class CounterDeltas:
    """What a pipeline counted since it last reported."""

    frames: int = 0
    dropped_frames: int = 0
    inference_errors: int = 0
    reconnects: int = 0
    latency_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_S) + 1))
    latency_sum_s: float = 0.0

    def observe_latency(self, seconds: float) -> None:
        self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        self.latency_sum_s += seconds

    def is_empty(self) -> bool:
        return not any((*[getattr(self, name) for name in COUNTERS], *self.latency_counts))


@dataclass(frozen=True)
class StreamCounters:
    """A stream's totals: the counters, and the latency histogram as cumulative bucket counts."""

    totals: dict[str, int]
    latency_buckets: list[tuple[float, int]]  # (upper bound, count of observations <= it), +Inf last
    latency_sum_s: float


def _key(stream_id: int) -> str:
    return redis_keys.counters_key(stream_id)


def counters_add(*, stream_id: int, deltas: CounterDeltas, client: redis.Redis | None = None) -> None:
    if deltas.is_empty():
        return
    with (client or redis_client()).pipeline(transaction=False) as pipe:
        key = _key(stream_id)
        for name in COUNTERS:
            if getattr(deltas, name):
                pipe.hincrby(key, name, getattr(deltas, name))
        for index, count in enumerate(deltas.latency_counts):
            if count:
                pipe.hincrby(key, f"le{index}", count)
        if deltas.latency_sum_s:
            pipe.hincrbyfloat(key, "latency_sum", deltas.latency_sum_s)
        pipe.execute()


def counters_read(*, stream_ids: list[int], client: redis.Redis | None = None) -> dict[int, StreamCounters]:
    """Every stream's totals (zeros for a stream that never counted), in one round trip."""
    with (client or redis_client()).pipeline(transaction=False) as pipe:
        for stream_id in stream_ids:
            pipe.hgetall(_key(stream_id))
        raws = pipe.execute() if stream_ids else []
    return {stream_id: _parse(raw) for stream_id, raw in zip(stream_ids, raws, strict=True)}


def _parse(raw: dict[bytes, bytes]) -> StreamCounters:
    values = {key.decode(): value for key, value in raw.items()}
    totals = {name: int(values.get(name, 0)) for name in COUNTERS}
    bounds = [*LATENCY_BUCKETS_S, float("inf")]
    running, buckets = 0, []
    for index, bound in enumerate(bounds):
        running += int(values.get(f"le{index}", 0))
        buckets.append((bound, running))
    return StreamCounters(totals=totals, latency_buckets=buckets, latency_sum_s=float(values.get("latency_sum", 0)))


def counters_clear(*, stream_id: int, client: redis.Redis | None = None) -> None:
    (client or redis_client()).delete(_key(stream_id))
