"""The event lifecycle's writes (events/occurrences.py): each fact and its outbox message commit together."""

import pytest
from django.db import transaction
from django.utils import timezone

from events import occurrences
from events.models import Event, OutboxMessage
from events.occurrences import Seen
from streams import control

pytestmark = pytest.mark.django_db


def _types(event_id) -> list[str]:
    return list(OutboxMessage.objects.filter(event_id=event_id).order_by("pk").values_list("type", flat=True))


def test_start_update_end_write_the_event_and_one_outbox_message_each(make_event):
    """GIVEN an object event started by a pipeline WHEN a better sighting comes and the object leaves THEN the
    event keeps its id, has the best score and an end, and the outbox holds new, update, end with before/after."""
    event = make_event(score=0.6)
    occurrences.event_update(event_id=event.pk, seen=Seen("person", 7, 0.93, [1.0, 2.0, 3.0, 4.0]))
    occurrences.event_end(event_id=event.pk, reason="left")
    event.refresh_from_db()
    assert event.best_score == 0.93 and event.box == [1.0, 2.0, 3.0, 4.0] and event.end_reason == "left"
    assert _types(event.pk) == ["event.new", "event.update", "event.end"]
    update = OutboxMessage.objects.get(event_id=event.pk, type="event.update").payload
    assert update["before"]["score"] == 0.6 and update["after"]["score"] == 0.93
    assert update["after"]["id"] == str(event.pk) and update["after"]["stream"]["name"] == "lobby"


def test_ending_twice_reports_once_and_an_ended_event_takes_no_update(make_event):
    """GIVEN an ended event WHEN it is ended again and updated THEN nothing changes and no message is added."""
    event = make_event()
    assert occurrences.event_end(event_id=event.pk, reason="left") is not None
    assert occurrences.event_end(event_id=event.pk, reason="again") is None
    assert occurrences.event_update(event_id=event.pk, seen=Seen("person", 7, 0.99, [0, 0, 1, 1])) is None
    assert _types(event.pk) == ["event.new", "event.end"]


def test_a_rolled_back_transaction_leaves_neither_the_event_nor_its_message(person_rule):
    """GIVEN a start inside a transaction that fails afterwards WHEN it rolls back THEN there is no event and no
    outbox message: a fact and its report never part."""
    with pytest.raises(RuntimeError), transaction.atomic():
        occurrences.event_start(event_id="0b4f2ec4-6d7e-4cfa-9d0c-2f0c3c1f0a11", rule_id=person_rule.pk, origin="h",
                              seen=Seen("person", 1, 0.9, [0, 0, 1, 1]), started_at=timezone.now())  # fmt: skip
        raise RuntimeError("crash after the event was stored")
    assert not Event.objects.exists() and not OutboxMessage.objects.exists()


def test_events_of_a_pipeline_whose_lease_holder_is_gone_are_ended_by_the_sweep(make_event, person_rule):
    """GIVEN an open event raised by holder-1 and one by the current holder WHEN the sweep runs THEN only the one
    whose holder no longer holds the stream ends, saying why."""
    stream_id = person_rule.stream_id
    control.acquire_lease(stream_id, "holder-2", ttl_s=30)
    try:
        orphan, alive = make_event(origin="holder-1"), make_event(origin="holder-2", tracker_id=8)
        assert occurrences.events_end_orphaned() == 1
    finally:
        control.release_lease(stream_id, "holder-2")
    orphan.refresh_from_db(), alive.refresh_from_db()
    assert orphan.ended_at is not None and "worker" in orphan.end_reason
    assert alive.ended_at is None
