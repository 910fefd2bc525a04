"""The one writer of observed status (streams/status.py): reports from lease holders, start-up marking, and one
notification per change, on a real database, a real Valkey and the real channel layer."""

import pytest

from streams import control, reconciler, status
from streams.models import Stream, StreamEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]

S = Stream.Status


def test_streams_interrupted_by_a_restart_start_again_without_a_worker_lost_error(make_stream, dispatched):
    """GIVEN, at start-up, a stream shown running and one shown stopping, neither with a lease, and one shown
    running whose worker (on another host) still holds it WHEN the start-up marks interrupted streams and
    reconciles THEN the first is queued again with a "system restarted" state event and no error, the second
    is stopped, and the third is left alone."""
    running = make_stream(name="running", desired_state="running", status="running", worker="w1@old")
    stopping = make_stream(name="stopping", desired_state="stopped", status="stopping", worker="w1@old")
    elsewhere = make_stream(name="elsewhere", desired_state="running", status="running", worker="w2@other")
    assert control.acquire_lease(elsewhere.pk, "w2@other:1:a", ttl_s=5)
    try:
        assert status.streams_mark_interrupted() == 2
        reconciler.streams_reconcile()
    finally:
        control.release_lease(elsewhere.pk, "w2@other:1:a")
    assert dispatched == [(running.pk, "streams")]
    assert StreamEvent.objects.filter(stream=running, kind="state", message__contains="system restarted").exists()
    assert not StreamEvent.objects.filter(kind="error").exists()
    stopping.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (stopping.status, elsewhere.status) == (S.STOPPED, S.RUNNING)


def test_failure_reports_grow_the_backoff_and_only_the_lease_holder_may_report(make_stream, settings):
    """GIVEN a worker holding a stream WHEN it reports failures THEN retry_at grows exponentially;
    a report from anyone else is refused and changes nothing."""
    settings.STREAM_RETRY_BASE_S, settings.STREAM_RETRY_MAX_S = 2.0, 60.0
    stream = make_stream(desired_state="running", status="starting")
    assert control.acquire_lease(stream.pk, "w1:1:a", ttl_s=5)
    try:
        assert not status.stream_report_status(stream_id=stream.pk, holder="intruder", status=S.RUNNING)
        waits = []
        for _ in range(3):
            assert status.stream_report_failure(stream_id=stream.pk, holder="w1:1:a", reason="refused")
            stream.refresh_from_db()
            waits.append(round(stream.retry_in_s))
            Stream.objects.filter(pk=stream.pk).update(status=S.STARTING)
        assert waits == [2, 4, 8]
    finally:
        control.release_lease(stream.pk, "w1:1:a")


def test_a_report_notifies_once_per_change_and_a_repeated_or_refused_one_not_at_all(make_stream, inbox):
    """GIVEN a starting stream its worker holds, and a consumer listening WHEN the worker reports running, then
    running again, then an intruder reports paused THEN the consumer hears exactly one status message (running)
    and one list update; the table's refusals and repeats stay silent."""
    stream = make_stream(desired_state="running", status="starting")
    listener = inbox(stream.pk)
    assert control.acquire_lease(stream.pk, "w1:1:a", ttl_s=5)
    try:
        assert status.stream_report_status(stream_id=stream.pk, holder="w1:1:a", status=S.RUNNING, worker="w1")
        assert status.stream_report_status(stream_id=stream.pk, holder="w1:1:a", status=S.RUNNING, worker="w1")
        assert not status.stream_report_status(stream_id=stream.pk, holder="intruder", status=S.PAUSED)
    finally:
        control.release_lease(stream.pk, "w1:1:a")
    messages = listener.take()
    assert [(m["type"], m.get("status")) for m in messages] == [("stream.status", "running"), ("streams.changed", None)]


def test_a_move_the_table_forbids_changes_nothing(make_stream, inbox):
    """GIVEN a stopped stream WHEN something tries to set it running without starting THEN it is refused, the
    row keeps its status, and nobody is told anything."""
    stream = make_stream(status="stopped")
    listener = inbox(stream.pk)
    assert not status.stream_set_status(stream=stream, status=S.RUNNING)
    stream.refresh_from_db()
    assert stream.status == S.STOPPED
    assert listener.take() == []
