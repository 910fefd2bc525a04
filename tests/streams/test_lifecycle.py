"""The state machine, the reconciler's decisions and the backoff, on a real database and a real Valkey."""

from datetime import timedelta

import pytest
from django.utils import timezone

from streams import control, lifecycle, services
from streams.models import Stream, StreamEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]

S = Stream.Status


@pytest.fixture
def clip(settings, tmp_path):
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"x")
    return str(tmp_path / "clip.mp4")


@pytest.fixture
def dispatched(monkeypatch):
    """The Celery broker is real elsewhere; here we only record which streams the reconciler queued."""
    queued: list[tuple[int, str]] = []
    monkeypatch.setattr(services, "dispatch_stream", lambda stream_id, queue: queued.append((stream_id, queue)))
    return queued


def _stream(clip: str, **fields) -> Stream:
    stream = services.stream_create(name=fields.pop("name", "cam"), source=clip, start=False)
    Stream.objects.filter(pk=stream.pk).update(**fields)
    stream.refresh_from_db()
    control.release_dispatch(stream.pk)
    return stream


def test_every_status_can_reach_stopped_and_failed_needs_a_start_before_running():
    """GIVEN the transition table WHEN checked THEN stop is reachable from everywhere, a failed stream must
    pass through starting, and a stopped one cannot claim to be running."""
    for status in S.values:
        assert lifecycle.can_move(status, S.STOPPED) or lifecycle.can_move(status, S.STOPPING)
        assert lifecycle.can_move(status, status)
    assert not lifecycle.can_move(S.FAILED, S.RUNNING)
    assert not lifecycle.can_move(S.STOPPED, S.RUNNING)
    assert lifecycle.can_move(S.FAILED, S.STARTING)


def test_backoff_doubles_up_to_its_cap():
    """GIVEN consecutive failures WHEN the retry delay is computed THEN it doubles from the base up to the cap."""
    delays = [lifecycle.retry_delay_s(n, base_s=2, max_s=60) for n in range(1, 8)]
    assert delays == [2, 4, 8, 16, 32, 60, 60]


def test_reconciler_starts_a_stream_that_should_run_once_even_when_asked_twice(clip, dispatched, settings):
    """GIVEN a stream that should run and no worker WHEN the reconciler runs twice THEN one task is queued
    (to the stream's pinned queue) and the stream is starting."""
    stream = _stream(clip, desired_state="running", queue="gpu")
    assert services.streams_reconcile() == 1
    assert services.streams_reconcile() == 0
    assert dispatched == [(stream.pk, "gpu")]
    stream.refresh_from_db()
    assert stream.status == S.STARTING


def test_reconciler_restarts_a_stream_whose_worker_died_and_logs_it(clip, dispatched):
    """GIVEN a stream shown running whose lease expired (its worker was killed) WHEN the reconciler runs
    THEN it is queued again and the event log says the worker was lost."""
    stream = _stream(clip, desired_state="running", status="running", worker="w1@host")
    services.streams_reconcile()
    assert dispatched == [(stream.pk, "streams")] or dispatched[0][0] == stream.pk
    assert StreamEvent.objects.filter(stream=stream, kind="error", message__contains="worker lost").exists()


def test_a_stop_undone_before_the_holder_acted_wakes_the_holder_until_it_reports_again(clip, dispatched):
    """GIVEN a held stream still shown stopping 5 s after its stop was undone by a resume WHEN the reconciler
    runs THEN it wakes the holder (a sync command), queues nothing, and the holder may report running."""
    stream = _stream(clip, desired_state="running", status="stopping",
                     status_changed_at=timezone.now() - timedelta(seconds=5))
    assert control.acquire_lease(stream.pk, "w1:1:a", ttl_s=5)
    try:
        control.clear_commands(stream.pk)
        assert services.streams_reconcile() == 1
        assert control.take_commands(stream.pk) == ["sync"]
        assert dispatched == []
        assert services.stream_report_status(stream_id=stream.pk, holder="w1:1:a", status=S.RUNNING)
        stream.refresh_from_db()
        assert stream.status == S.RUNNING
        assert services.streams_reconcile() == 0
    finally:
        control.release_lease(stream.pk, "w1:1:a")


def test_streams_interrupted_by_a_restart_start_again_without_a_worker_lost_error(clip, dispatched):
    """GIVEN, at start-up, a stream shown running and one shown stopping, neither with a lease, and one shown
    running whose worker (on another host) still holds it WHEN the start-up marks interrupted streams and
    reconciles THEN the first is queued again with a "system restarted" state event and no error, the second
    is stopped, and the third is left alone."""
    running = _stream(clip, name="running", desired_state="running", status="running", worker="w1@old")
    stopping = _stream(clip, name="stopping", desired_state="stopped", status="stopping", worker="w1@old")
    elsewhere = _stream(clip, name="elsewhere", desired_state="running", status="running", worker="w2@other")
    assert control.acquire_lease(elsewhere.pk, "w2@other:1:a", ttl_s=5)
    try:
        assert services.streams_mark_interrupted() == 2
        services.streams_reconcile()
    finally:
        control.release_lease(elsewhere.pk, "w2@other:1:a")
    assert dispatched == [(running.pk, "streams")]
    assert StreamEvent.objects.filter(stream=running, kind="state", message__contains="system restarted").exists()
    assert not StreamEvent.objects.filter(kind="error").exists()
    stopping.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (stopping.status, elsewhere.status) == (S.STOPPED, S.RUNNING)


def test_failed_stream_waits_for_its_backoff_and_a_manual_restart_skips_it(clip, dispatched):
    """GIVEN a failed stream whose retry is 30 s away WHEN the reconciler runs THEN nothing is queued and the
    API would show the wait; WHEN the operator restarts it THEN it is queued at once."""
    stream = _stream(
        clip, desired_state="running", status="failed", failure_count=4, retry_at=timezone.now() + timedelta(seconds=30)
    )
    assert services.streams_reconcile() == 0
    assert 25 < stream.retry_in_s <= 30
    services.stream_restart(stream=stream, actor="alice")
    assert [stream_id for stream_id, _ in dispatched] == [stream.pk]
    stream.refresh_from_db()
    assert (stream.status, stream.failure_count) == (S.STARTING, 0)
    assert StreamEvent.objects.filter(stream=stream, kind="command", message="restart", actor="alice").exists()


def test_failure_reports_grow_the_backoff_and_only_the_lease_holder_may_report(clip, settings):
    """GIVEN a worker holding a stream WHEN it reports failures THEN retry_at grows exponentially;
    a report from anyone else is refused and changes nothing."""
    settings.STREAM_RETRY_BASE_S, settings.STREAM_RETRY_MAX_S = 2.0, 60.0
    stream = _stream(clip, desired_state="running", status="starting")
    assert control.acquire_lease(stream.pk, "w1:1:a", ttl_s=5)
    try:
        assert not services.stream_report_status(stream_id=stream.pk, holder="intruder", status=S.RUNNING)
        waits = []
        for _ in range(3):
            assert services.stream_report_failure(stream_id=stream.pk, holder="w1:1:a", reason="refused")
            stream.refresh_from_db()
            waits.append(round(stream.retry_in_s))
            Stream.objects.filter(pk=stream.pk).update(status=S.STARTING)
        assert waits == [2, 4, 8]
    finally:
        control.release_lease(stream.pk, "w1:1:a")


def test_stop_pause_resume_restart_are_idempotent_from_every_status(clip, dispatched):
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
            stream = _stream(clip, name=f"{status}-{verb}", desired_state="running", status=status)
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
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.streams_bulk_create(items=[{"name": "a", "source": clip}, {"name": "b", "source": "nope"}])
    assert "1" in error.value.message_dict
    assert Stream.objects.count() == 0
    created = services.streams_bulk_create(items=[{"name": f"s{i}", "source": clip, "start": False} for i in range(3)])
    assert [s.name for s in created] == ["s0", "s1", "s2"]


def test_event_pruning_keeps_the_newest(clip):
    """GIVEN a stream with many events WHEN pruned to 5 THEN the 5 newest remain."""
    stream = _stream(clip)
    for i in range(12):
        StreamEvent.objects.create(stream=stream, kind="state", message=f"e{i}")
    services.stream_events_prune(keep=5)
    assert list(StreamEvent.objects.filter(stream=stream).values_list("message", flat=True)) == [
        "e11", "e10", "e9", "e8", "e7"
    ]
