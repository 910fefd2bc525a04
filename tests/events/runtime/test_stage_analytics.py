"""The rules stage (events/runtime/stage.py) with the real database and event writer: frames carrying analytics
facts become stored events with their zones; the timeline filters by zone (page and API); disabled rules and
rules of other streams are not followed."""

import datetime

import numpy as np
import pytest
import supervision as sv
from django.urls import reverse
from streamvision.camera.entities import VideoFrame

from analytics.models import Line, Zone
from analytics.runtime.facts import LINES, ZONES, LineCrossing, LineFacts, ZoneFacts, ZoneMember
from core.frames import FrameContext
from events.models import Event, Rule
from events.runtime.stage import RulesStage
from events.runtime.writer import EventWriter

pytestmark = pytest.mark.django_db

IMAGE = np.zeros((360, 640, 3), dtype=np.uint8)
SQUARE = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
T0 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC).timestamp()


@pytest.fixture
def shapes(event_stream, coco_catalog):
    return (Zone.objects.create(stream=event_stream, name="door", points=SQUARE),
            Zone.objects.create(stream=event_stream, name="hall", points=SQUARE),
            Line.objects.create(stream=event_stream, name="gate", points=[[0.1, 0.5], [0.9, 0.5]]))  # fmt: skip


def _frame(index: int, tracker_ids: list[int], zone_facts: dict, crossings=()) -> FrameContext:
    detections = sv.Detections(
        xyxy=np.array([[20.0 * t, 40, 20.0 * t + 60, 200] for t in tracker_ids], dtype=np.float32).reshape(-1, 4),
        confidence=np.full(len(tracker_ids), 0.9, dtype=np.float32), class_id=np.zeros(len(tracker_ids), int),
        tracker_id=np.array(tracker_ids, dtype=int), data={"class_name": np.array(["person"] * len(tracker_ids))},
    )
    ctx = FrameContext(frame=VideoFrame(image=IMAGE, frame_id=index, frame_timestamp=datetime.datetime.now()),
                       detections=detections, at=T0 + index / 10)  # fmt: skip
    ctx.facts[ZONES] = zone_facts
    ctx.facts[LINES] = {}
    if crossings:
        line_id = crossings[0][0]
        found = tuple(LineCrossing(line_id, "gate", tid, "person", way, ctx.at) for _, tid, way in crossings)
        ctx.facts[LINES] = {line_id: LineFacts(line_id, "gate", found)}
    return ctx


def _zone(zone: Zone, *tracker_ids: int, dwell: float = 0.0) -> tuple[int, ZoneFacts]:
    members = tuple(ZoneMember(t, "person", T0, dwell) for t in tracker_ids)
    return zone.pk, ZoneFacts(zone.pk, zone.name, members, ())


def _play(stream_id: int, frames: list[FrameContext]) -> None:
    writer = EventWriter.init(start=False)
    stage = RulesStage.init(stream_id=stream_id, origin="stage-test", writer=writer)
    for ctx in frames:
        stage(ctx)
    writer.drain()


def test_events_carry_their_current_zones_and_the_timeline_filters_by_zone(
    event_stream, shapes, person_rule, admin_client
):
    """GIVEN a person rule and two zones WHEN a person walks through "door" into "hall" and leaves THEN one event
    whose zones are its current ones (hall), in both zones for the filter; filtering the API and the page by
    "door" shows it, by a zone it never was in does not."""
    door, hall, _ = shapes
    frames = [_frame(i, [3], dict([_zone(door, 3)])) for i in range(5)]
    frames += [_frame(5 + i, [3], dict([_zone(hall, 3)])) for i in range(15)]
    frames += [_frame(20 + i, [], {}) for i in range(40)]
    _play(event_stream.pk, frames)
    event = Event.objects.get()
    assert event.zones == ["hall"] and event.ended_at is not None
    assert set(event.in_zones.values_list("name", flat=True)) == {"door", "hall"}
    empty = Zone.objects.create(stream=event_stream, name="stairs", points=SQUARE)
    client = admin_client
    assert [e["id"] for e in client.get(f"/api/events/?zone={door.pk}").json()["results"]] == [str(event.pk)]
    assert client.get(f"/api/events/?zone={empty.pk}").json()["results"] == []
    assert client.get("/api/events/?zone=x").status_code == 400
    page = client.get(reverse("events"), {"zone": door.pk}).content.decode()
    assert f'data-event-id="{event.pk}"' in page and "in hall" in page and "lobby: door" in page
    assert f'data-event-id="{event.pk}"' not in client.get(reverse("events"), {"zone": empty.pk}).content.decode()


def test_a_line_rule_stores_one_ended_event_per_crossing_and_crowding_keeps_its_zone(event_stream, shapes):
    """GIVEN an "in" line rule and "more than 1 in hall" WHEN two people cross in and one out, and two stand in
    the hall THEN two line events (started and ended at their crossing, with a snapshot) and one crowding event
    in the hall, saying how many were inside."""
    _, hall, gate = shapes
    Rule.objects.create(stream=event_stream, name="in", kind="line_crossed", line=gate, direction="in")
    Rule.objects.create(stream=event_stream, name="crowd", kind="overcrowded", zone=hall, max_occupancy=1)
    frames = [_frame(0, [1, 2], {}, crossings=[(gate.pk, 1, "in"), (gate.pk, 2, "out")]),
              _frame(1, [1, 2], dict([_zone(hall, 1, 2)]), crossings=[(gate.pk, 4, "in")]),
              _frame(2, [4], {}, crossings=[(gate.pk, 4, "in")])]  # fmt: skip
    _play(event_stream.pk, frames + [_frame(3 + i, [], {}) for i in range(30)])
    crossed = list(Event.objects.filter(kind="line_crossed").order_by("started_at"))
    assert [e.tracker_id for e in crossed] == [1, 4]
    assert all(e.ended_at == e.started_at and e.end_reason == "crossed" and e.has_snapshot for e in crossed)
    crowd = Event.objects.get(kind="overcrowded")
    assert crowd.detail == "2 inside “hall” (more than 1)" and crowd.zones == ["hall"] and crowd.ended_at
    assert list(crowd.in_zones.all()) == [hall]


def test_disabled_rules_raise_nothing(event_stream, shapes):
    """GIVEN a disabled loitering rule WHEN someone loiters THEN no event."""
    door, _, _ = shapes
    Rule.objects.create(stream=event_stream, name="stay", kind="loitering", zone=door, dwell_s=0.0, enabled=False)
    _play(event_stream.pk, [_frame(i, [3], dict([_zone(door, 3, dwell=5.0)])) for i in range(10)])
    assert not Event.objects.exists()
