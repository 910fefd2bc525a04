import pytest
from django.core.exceptions import ValidationError

from streams import control, services
from streams.models import Stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]


@pytest.fixture
def media_dir(settings, tmp_path):
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"x")
    return tmp_path


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": "", "source": "0"}, "name"),
        ({"name": "a", "source": "garbage"}, "source"),
        ({"name": "a", "source": "gopher://x/y"}, "source"),
        ({"name": "a", "source": "/etc/hosts"}, "source"),
        ({"name": "a", "source": "0", "max_fps": -1}, "max_fps"),
        ({"name": "a", "source": "0", "confidence": 1.5}, "confidence"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(media_dir, fields, bad_field):
    """GIVEN invalid stream fields WHEN created THEN ValidationError names the field and nothing is stored."""
    with pytest.raises(ValidationError) as error:
        services.stream_create(start=False, **fields)
    assert bad_field in error.value.message_dict
    assert Stream.objects.count() == 0


def test_stop_of_a_stream_no_worker_holds_is_immediate(media_dir):
    """GIVEN a stored stream no worker holds WHEN stopped THEN it is stopped at once, and stopping again is fine."""
    stream = services.stream_create(name="cam", source=str(media_dir / "clip.mp4"), start=False)
    services.stream_stop(stream=stream)
    services.stream_stop(stream=stream)
    stream.refresh_from_db()
    assert (stream.desired_state, stream.status) == ("stopped", "stopped")


def test_stop_of_a_held_stream_sends_the_worker_a_command(media_dir):
    """GIVEN a stream whose lease a worker holds WHEN stopped THEN it is 'stopping' and the command waits in Redis."""
    stream = services.stream_create(name="cam", source=str(media_dir / "clip.mp4"), start=False)
    Stream.objects.filter(pk=stream.pk).update(status="running")
    stream.refresh_from_db()
    assert control.acquire_lease(stream.pk, "worker-x", ttl_s=5)
    try:
        services.stream_stop(stream=stream)
        stream.refresh_from_db()
        assert stream.status == "stopping"
        assert control.take_commands(stream.pk) == ["sync"]
    finally:
        control.release_lease(stream.pk, "worker-x")


def test_lease_is_exclusive_and_only_its_holder_renews_or_releases_it():
    """GIVEN a lease held by A WHEN B tries to take, renew or release it THEN nothing changes for A."""
    assert control.acquire_lease(9001, "A", ttl_s=5)
    assert not control.acquire_lease(9001, "B", ttl_s=5)
    assert not control.renew_lease(9001, "B", ttl_s=5)
    control.release_lease(9001, "B")
    assert control.lease_holder(9001) == "A"
    control.release_lease(9001, "A")
    assert control.lease_holder(9001) is None


def test_fixing_the_source_of_a_failed_stream_starts_it_again(media_dir):
    """GIVEN a stream that should run but failed and no worker holds WHEN its source is corrected
    THEN it is starting again; while a worker holds it, the worker is told to restart instead."""
    stream = services.stream_create(name="cam", source="rtsp://10.9.9.9/live", start=False)
    Stream.objects.filter(pk=stream.pk).update(
        desired_state="running", status="failed", status_reason="refused", failure_count=3
    )
    stream.refresh_from_db()
    services.stream_update(stream=stream, source=str(media_dir / "clip.mp4"))
    stream.refresh_from_db()
    assert (stream.status, stream.failure_count) == ("starting", 0)

    assert control.acquire_lease(stream.pk, "worker-y", ttl_s=5)
    try:
        services.stream_update(stream=stream, max_fps=7.0)
        assert control.take_commands(stream.pk) == ["restart"]
        services.stream_update(stream=stream, confidence=0.5, classes=["car"])
        assert control.take_commands(stream.pk) == ["sync"]
    finally:
        control.release_lease(stream.pk, "worker-y")
