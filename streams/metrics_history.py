"""The last minutes of each stream's metrics, so a stream page opened now draws its charts from the start.

Workers record each metrics message (about one a second) as a sample in a capped Redis list per stream;
the API reads it back (`GET /api/streams/<id>/metrics/`). Live points keep arriving over the WebSocket; the
page merges both by the sample time. The list expires when a stream stops reporting, so a deleted stream
leaves nothing behind for long.
"""

import json
import time
from typing import TypedDict

import redis

from core import redis_keys
from streams.control import redis_client
from streams.messages import MetricsMessage

WINDOW_S = 300.0  # what the stream page charts show
MAX_SAMPLES = 600  # two per second at most: the window survives a shorter metrics interval


class MetricsSample(TypedDict):
    at: float  # unix time the worker took the sample
    fps: float
    inference_ms: float
    detections: dict[str, int]
    inference_errors: int


def _key(stream_id: int) -> str:
    return redis_keys.metrics_history_key(stream_id)


def history_record(*, message: MetricsMessage, client: redis.Redis | None = None) -> None:
    """Keep a worker's metrics message as the stream's next sample."""
    sample = MetricsSample(
        at=message["at"],
        fps=message["fps"],
        inference_ms=message["inference_ms"],
        detections=message["detections"],
        inference_errors=message["inference_errors"],
    )
    history_append(stream_id=message["stream_id"], sample=sample, client=client)


def history_append(*, stream_id: int, sample: MetricsSample, client: redis.Redis | None = None) -> None:
    key = _key(stream_id)
    pipe = (client or redis_client()).pipeline()
    pipe.rpush(key, json.dumps(sample, separators=(",", ":")))
    pipe.ltrim(key, -MAX_SAMPLES, -1)
    pipe.expire(key, int(WINDOW_S * 2))
    pipe.execute()


def history_read(
    *, stream_id: int, window_s: float = WINDOW_S, client: redis.Redis | None = None
) -> list[MetricsSample]:
    """The samples of the last `window_s` seconds, oldest first."""
    since = time.time() - window_s
    samples = []
    for raw in (client or redis_client()).lrange(_key(stream_id), 0, -1):
        sample = json.loads(raw)
        if sample.get("at", 0) >= since:
            samples.append(sample)
    return samples


def history_clear(*, stream_id: int, client: redis.Redis | None = None) -> None:
    (client or redis_client()).delete(_key(stream_id))
