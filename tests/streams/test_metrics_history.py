"""The stored metrics history behind the stream page's charts, on the embedded Valkey."""

import time

import pytest

from streams import metrics_history, services
from streams.control import redis_client
from streams.messages import MetricsMessage


@pytest.fixture
def stream_id() -> int:
    """A stream number no other test uses; its history is removed afterwards."""
    stream_id = 800_000 + time.monotonic_ns() % 100_000
    yield stream_id
    metrics_history.history_clear(stream_id=stream_id)


def _sample(at: float, fps: float = 5.0) -> metrics_history.MetricsSample:
    return metrics_history.MetricsSample(at=at, fps=fps, inference_ms=20.0, detections={"car": 2},
                                         inference_errors=0)


def test_history_keeps_the_last_five_minutes_oldest_first(stream_id):
    """GIVEN samples from 10 minutes ago, 4 minutes ago and now WHEN read THEN the two inside the window come
    back oldest first, as written."""
    now = time.time()
    for at, fps in ((now - 600, 1.0), (now - 240, 2.0), (now, 3.0)):
        metrics_history.history_append(stream_id=stream_id, sample=_sample(at, fps))
    samples = metrics_history.history_read(stream_id=stream_id)
    assert [s["fps"] for s in samples] == [2.0, 3.0]
    assert samples[-1] == _sample(now, 3.0)


def test_a_workers_metrics_message_is_kept_as_a_sample(stream_id):
    """GIVEN a metrics message as a worker publishes it WHEN recorded THEN the history holds it as a sample:
    time, fps, latency, detections and errors, without the live-only fields."""
    message = MetricsMessage(
        type="stream.metrics", stream_id=stream_id, at=time.time(), fps=4.5, inference_ms=18.25,
        detections={"car": 3}, frames_total=120, inference_errors=1, last_error="timeout", origin="w1:1:a",
    )
    metrics_history.history_record(message=message)
    assert metrics_history.history_read(stream_id=stream_id) == [
        {"at": message["at"], "fps": 4.5, "inference_ms": 18.25, "detections": {"car": 3}, "inference_errors": 1}
    ]


def test_history_is_capped_and_expires(stream_id):
    """GIVEN more samples than the cap WHEN appended THEN only the newest MAX_SAMPLES are kept, and the list
    expires (a stream that stopped reporting leaves nothing behind)."""
    now = time.time()
    for i in range(metrics_history.MAX_SAMPLES + 5):
        metrics_history.history_append(stream_id=stream_id, sample=_sample(now - 0.1 * i, fps=float(i)))
    key = f"streamvision:metrics:{stream_id}"
    assert redis_client().llen(key) == metrics_history.MAX_SAMPLES
    assert 0 < redis_client().ttl(key) <= metrics_history.WINDOW_S * 2


@pytest.mark.django_db
def test_deleting_a_stream_deletes_its_history(settings, tmp_path):
    """GIVEN a stream with stored metrics WHEN it is deleted THEN its history is gone."""
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"x")
    stream = services.stream_create(name="cam", source=str(tmp_path / "clip.mp4"), start=False)
    metrics_history.history_append(stream_id=stream.pk, sample=_sample(time.time()))
    services.stream_delete(stream=stream)
    assert metrics_history.history_read(stream_id=stream.pk) == []
