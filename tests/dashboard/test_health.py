"""dashboard.health against a real tritonserver and the embedded Valkey."""

import pytest

from dashboard import health

pytestmark = pytest.mark.django_db


def test_triton_health_lists_the_model_with_its_statistics(triton_url):
    """GIVEN the real Triton serving yolo WHEN its health is read THEN it is ready, yolo is READY, and the
    statistics fields are numbers or absent (no request yet)."""
    report = health.triton_health(triton_url)
    assert report.check.ok, report.check.detail
    assert report.version
    model = next(m for m in report.models if m.name == "yolo")
    assert model.state == "READY"
    assert model.queue_ms is None or model.queue_ms >= 0


def test_unreachable_triton_is_reported_not_raised():
    """GIVEN a port nobody listens on WHEN Triton's health is read THEN the check fails with the reason."""
    report = health.triton_health("127.0.0.1:9")
    assert not report.check.ok and "unreachable" in report.check.detail


def test_database_and_broker_answer():
    """GIVEN the test database and the embedded Valkey WHEN pinged THEN both are up with a latency."""
    assert health.database_health().ok
    broker = health.broker_health()
    assert broker.ok and broker.latency_ms is not None
