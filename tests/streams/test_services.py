"""The operator's writes (streams/services.py): validation, commands, settings changes, and what they tell the
worker and the web consumers, on a real database, a real Valkey and the real channel layer."""

import pytest
from django.core.exceptions import ValidationError

from streams import control, services
from streams.models import Stream

S = Stream.Status

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
        assert control.take_commands(stream.pk) == [control.Command.RESTART]
        services.stream_update(stream=stream, confidence=0.5, classes=["car"])
        assert control.take_commands(stream.pk) == [control.Command.SYNC]
        services.stream_update(stream=stream, queue="gpu")
        assert control.take_commands(stream.pk) == [control.Command.RELEASE]
    finally:
        control.release_lease(stream.pk, "worker-y")


def test_stop_pause_resume_restart_are_idempotent_from_every_status(make_stream, dispatched):
    """GIVEN a stream in each observed status, with no worker WHEN each command is given twice THEN the
    desired state is as asked, no error is raised, and a stop leaves it stopped."""
    commands = {
        "stop": (services.stream_stop, "stopped"),
        "pause": (services.stream_pause, "paused"),
        "resume": (services.stream_resume, "running"),
        "restart": (services.stream_restart, "running"),
    }
    for status in S.values:
        for verb, (command, desired) in commands.items():
            stream = make_stream(name=f"{status}-{verb}", desired_state="running", status=status)
            command(stream=stream)
            command(stream=stream)
            stream.refresh_from_db()
            assert stream.desired_state == desired, (status, verb)
            if verb == "stop":
                assert stream.status == S.STOPPED, (status, verb)
            else:
                assert stream.status == S.STARTING, (status, verb)


def test_bulk_create_is_all_or_nothing(clip):
    """GIVEN a list of streams with one bad item WHEN bulk-created THEN nothing is stored and the error names
    the item; GIVEN a good list THEN all are stored."""
    with pytest.raises(ValidationError) as error:
        services.streams_bulk_create(items=[{"name": "a", "source": clip}, {"name": "b", "source": "nope"}])
    assert "1" in error.value.message_dict
    assert Stream.objects.count() == 0
    created = services.streams_bulk_create(items=[{"name": f"s{i}", "source": clip, "start": False} for i in range(3)])
    assert [s.name for s in created] == ["s0", "s1", "s2"]


def test_a_command_tells_the_consumers_once_whether_or_not_the_status_moves(make_stream, dispatched, inbox):
    """GIVEN a stopped stream no worker holds, and a consumer listening WHEN it is started THEN the consumer
    hears one status message (starting, desired running) and one list update; GIVEN a running stream a worker
    holds WHEN it is paused THEN the status waits for the worker, and the consumer hears the new desired state
    once."""
    stopped = make_stream(name="stopped", desired_state="stopped", status="stopped")
    listener = inbox(stopped.pk)
    services.stream_start(stream=stopped)
    assert [(m["type"], m.get("status"), m.get("desired_state")) for m in listener.take()] == [
        ("stream.status", "starting", "running"), ("streams.changed", None, None)
    ]

    held = make_stream(name="held", desired_state="running", status="running")
    listener = inbox(held.pk)
    assert control.acquire_lease(held.pk, "w1:1:a", ttl_s=5)
    try:
        services.stream_pause(stream=held)
        assert control.take_commands(held.pk) == [control.Command.SYNC]
    finally:
        control.release_lease(held.pk, "w1:1:a")
    assert [(m["type"], m.get("status"), m.get("desired_state")) for m in listener.take()] == [
        ("stream.status", "running", "paused"), ("streams.changed", None, None)
    ]
