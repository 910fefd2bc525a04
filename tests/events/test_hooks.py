"""Stream rules and the streams hook (events/hooks.py through streams.signals): a stream that goes down or comes
back raises events, and the events and their outbox rows commit with the status change."""

import pytest
from django.db import transaction

from events import hooks
from events.models import Event, OutboxMessage, Rule, StreamOutage
from streams import status
from streams.models import Stream

pytestmark = pytest.mark.django_db

Status = Stream.Status


@pytest.fixture
def stream_rules(event_stream) -> tuple[Rule, Rule]:
    down = Rule.objects.create(stream=event_stream, name="down", kind=Rule.Kind.STREAM_DOWN)
    up = Rule.objects.create(stream=event_stream, name="back", kind=Rule.Kind.STREAM_UP)
    return down, up


def _move(stream: Stream, *statuses: str, reason: str = "") -> None:
    for new in statuses:
        assert status.stream_set_status(stream=stream, status=new, reason=reason)


def test_down_then_back_raises_a_down_event_that_ends_and_an_instant_comeback_event(event_stream, stream_rules):
    """GIVEN a running stream with down and back rules WHEN it reconnects, fails, then runs again THEN one down
    event (one outage) lasts until it runs again, and one instant "came back" event follows."""
    _move(event_stream, Status.STARTING, Status.RUNNING)
    _move(event_stream, Status.RECONNECTING, reason="no frames for 3 s")
    _move(event_stream, Status.FAILED, reason="cannot open")
    _move(event_stream, Status.STARTING, Status.RUNNING)
    down, back = Event.objects.get(kind=Rule.Kind.STREAM_DOWN), Event.objects.get(kind=Rule.Kind.STREAM_UP)
    assert down.detail == "no frames for 3 s" and down.end_reason == "stream came back"
    assert back.started_at == back.ended_at and back.started_at >= down.ended_at
    assert StreamOutage.objects.get().ended_at is not None
    messages = OutboxMessage.objects.exclude(type="stream.status").order_by("pk")
    expected = [("event.new", down.pk), ("event.end", down.pk), ("event.new", back.pk), ("event.end", back.pk)]
    assert [(m.type, m.event_id) for m in messages] == expected
    statuses = OutboxMessage.objects.filter(type="stream.status", stream_id=event_stream.pk)
    statuses = statuses.values_list("payload", flat=True)
    assert [p["status"] for p in statuses] == ["starting", "running", "reconnecting", "failed", "starting", "running"]


def test_stopping_a_down_stream_ends_its_down_event_without_a_comeback(event_stream, stream_rules):
    """GIVEN a failed stream WHEN the operator stops it THEN the down event ends "stream stopped", no comeback."""
    _move(event_stream, Status.STARTING, Status.FAILED, Status.STOPPED)
    down = Event.objects.get()
    assert down.kind == Rule.Kind.STREAM_DOWN and down.end_reason == "stream stopped"


def test_object_events_end_when_the_stream_stops_running(event_stream, make_event):
    """GIVEN a running stream with an object event in progress WHEN it is paused THEN the event ends: no frame
    will come to end it."""
    _move(event_stream, Status.STARTING, Status.RUNNING)
    event = make_event()
    _move(event_stream, Status.PAUSED)
    event.refresh_from_db()
    assert event.end_reason == "stream paused"


def test_the_hook_rows_roll_back_with_the_status_change(event_stream, stream_rules):
    """GIVEN a status write inside a transaction that fails WHEN it rolls back THEN neither the status, the down
    event nor any outbox message stays."""
    with pytest.raises(RuntimeError), transaction.atomic():
        _move(event_stream, Status.STARTING, Status.FAILED)
        raise RuntimeError("crash")
    assert not Event.objects.exists() and not OutboxMessage.objects.filter(type__startswith="event").exists()
    assert not OutboxMessage.objects.filter(type="stream.status").exists()
    event_stream.refresh_from_db()
    assert event_stream.status == Status.STOPPED


def test_a_failing_hook_never_undoes_the_status_change(event_stream, stream_rules, monkeypatch):
    """GIVEN an events hook that raises WHEN the status changes THEN the status is written anyway, and none of the
    hook's rows are."""
    def broken(**_):
        raise RuntimeError("hook bug")

    monkeypatch.setattr(hooks, "_outage_begin", lambda stream: broken())
    _move(event_stream, Status.STARTING, Status.FAILED)
    event_stream.refresh_from_db()
    assert event_stream.status == Status.FAILED
    assert not Event.objects.exists()
    assert not OutboxMessage.objects.filter(type="stream.status", payload__status="failed").exists()


def test_cooldown_of_a_stream_rule_keeps_a_flapping_camera_quiet(event_stream):
    """GIVEN a down rule with a 1-hour cooldown WHEN the stream goes down twice THEN one down event."""
    Rule.objects.create(stream=event_stream, name="down", kind=Rule.Kind.STREAM_DOWN, cooldown_s=3600)
    _move(event_stream, Status.STARTING, Status.RUNNING, Status.RECONNECTING, Status.RUNNING, Status.RECONNECTING)
    assert Event.objects.count() == 1
