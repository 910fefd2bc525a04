"""The reconciler's decisions (streams/reconciler.py), on a real database and a real Valkey."""

from datetime import timedelta

import pytest
from django.utils import timezone

from streams import control, reconciler, services, status
from streams.models import Stream, StreamEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]

S = Stream.Status


def test_reconciler_starts_a_stream_that_should_run_once_even_when_asked_twice(make_stream, dispatched):
    """GIVEN a stream that should run and no worker WHEN the reconciler runs twice THEN one task is queued
    (to the stream's pinned queue) and the stream is starting."""
    stream = make_stream(desired_state="running", queue="gpu")
    assert reconciler.streams_reconcile() == 1
    assert reconciler.streams_reconcile() == 0
    assert dispatched == [(stream.pk, "gpu")]
    stream.refresh_from_db()
    assert stream.status == S.STARTING


def test_reconciler_restarts_a_stream_whose_worker_died_and_logs_it(make_stream, dispatched):
    """GIVEN a stream shown running whose lease expired (its worker was killed) WHEN the reconciler runs
    THEN it is queued again and the event log says the worker was lost."""
    stream = make_stream(desired_state="running", status="running", worker="w1@host")
    reconciler.streams_reconcile()
    assert dispatched == [(stream.pk, "streams")] or dispatched[0][0] == stream.pk
    assert StreamEvent.objects.filter(stream=stream, kind="error", message__contains="worker lost").exists()


def test_a_stop_undone_before_the_holder_acted_wakes_the_holder_until_it_reports_again(make_stream, dispatched):
    """GIVEN a held stream still shown stopping 5 s after its stop was undone by a resume WHEN the reconciler
    runs THEN it wakes the holder (a sync command), queues nothing, and the holder may report running."""
    stream = make_stream(desired_state="running", status="stopping",
                         status_changed_at=timezone.now() - timedelta(seconds=5))
    assert control.acquire_lease(stream.pk, "w1:1:a", ttl_s=5)
    try:
        control.clear_commands(stream.pk)
        assert reconciler.streams_reconcile() == 1
        assert control.take_commands(stream.pk) == [control.Command.SYNC]
        assert dispatched == []
        assert status.stream_report_status(stream_id=stream.pk, holder="w1:1:a", status=S.RUNNING)
        stream.refresh_from_db()
        assert stream.status == S.RUNNING
        assert reconciler.streams_reconcile() == 0
    finally:
        control.release_lease(stream.pk, "w1:1:a")


def test_failed_stream_waits_for_its_backoff_and_a_manual_restart_skips_it(make_stream, dispatched):
    """GIVEN a failed stream whose retry is 30 s away WHEN the reconciler runs THEN nothing is queued and the
    API would show the wait; WHEN the operator restarts it THEN it is queued at once."""
    stream = make_stream(
        desired_state="running", status="failed", failure_count=4, retry_at=timezone.now() + timedelta(seconds=30)
    )
    assert reconciler.streams_reconcile() == 0
    assert 25 < stream.retry_in_s <= 30
    services.stream_restart(stream=stream, actor="alice")
    assert [stream_id for stream_id, _ in dispatched] == [stream.pk]
    stream.refresh_from_db()
    assert (stream.status, stream.failure_count) == (S.STARTING, 0)
    assert StreamEvent.objects.filter(stream=stream, kind="command", message="restart", actor="alice").exists()


def test_a_change_to_a_held_stream_wakes_its_holder_with_the_given_command_and_queues_nothing(make_stream, dispatched):
    """GIVEN a running stream a worker holds WHEN the reconciler steps it after a change THEN the holder is
    sent exactly the given command, the status is left to the holder, and no task is queued."""
    stream = make_stream(desired_state="running", status="running")
    assert control.acquire_lease(stream.pk, "w1:1:a", ttl_s=5)
    try:
        control.clear_commands(stream.pk)
        assert reconciler.stream_reconcile_changed(stream=stream, wake=control.Command.RELEASE)
        assert control.take_commands(stream.pk) == [control.Command.RELEASE]
    finally:
        control.release_lease(stream.pk, "w1:1:a")
    stream.refresh_from_db()
    assert (stream.status, dispatched) == (S.RUNNING, [])
