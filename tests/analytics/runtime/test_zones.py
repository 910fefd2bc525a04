"""A zone's counter on synthetic tracks (analytics/runtime/zones.py): entries, exits, dwell and occupancy, with
hysteresis on the edge, flicker, id switches, lost tracks and objects already inside at the start. The zone is
the square from 300 to 700 px of a 1000×1000 frame."""

from analytics.runtime.shapes import ShapeDefinition
from analytics.runtime.zones import ZoneCounter
from tests.analytics.runtime.synthetic import frame, path, run, steps

ZONE = ShapeDefinition(id=3, name="yard", points=((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)))
QUIET = [frame()] * 25  # 2.5 s of nothing: the counter starts before anything is in the picture


def changes(facts: list) -> list[tuple[int, str]]:
    return [(t.tracker_id, t.kind) for f in facts for t in f.transitions]


def started() -> ZoneCounter:
    counter = ZoneCounter(ZONE)
    run(counter, QUIET, start=90.0)
    return counter


def test_an_object_entering_staying_and_leaving_has_one_entry_one_exit_and_its_dwell():
    """GIVEN an object that walks into the zone, stays two seconds and walks out WHEN counted THEN one entry,
    the object is a member (with its dwell growing) while inside, and one exit with the time it spent inside."""
    frames = path(1, steps(100, 500, 5)) + path(1, [500] * 20) + path(1, steps(500, 950, 6))
    facts = run(started(), frames)
    assert changes(facts) == [(1, "enter"), (1, "exit")]
    inside = facts[20]
    assert [(m.tracker_id, m.class_name) for m in inside.members] == [(1, "car")]
    assert inside.occupancy == {"car": 1} and 1.0 < inside.longest_dwell_s < 2.5
    exit_ = [t for f in facts for t in f.transitions if t.kind == "exit"][0]
    assert 2.0 < exit_.dwell_s < 3.5 and (exit_.zone_id, exit_.zone_name) == (3, "yard")
    assert facts[-1].members == () and facts[-1].occupancy == {}


def test_jitter_on_the_edge_enters_once_and_never_leaves():
    """GIVEN an object standing on the zone's edge, its anchor jumping a few pixels in and out every frame
    WHEN counted for 4 seconds THEN one entry and no exit."""
    frames = path(1, steps(200, 295, 4)) + path(1, [302, 295, 305, 293] * 10)
    facts = run(started(), frames)
    assert changes(facts) == [(1, "enter")]


def test_leaving_and_coming_back_with_the_same_id_enters_twice():
    """GIVEN an object that leaves the zone and walks back in under the same tracker id WHEN counted THEN
    enter, exit, enter."""
    frames = path(2, steps(200, 500, 4)) + path(2, steps(500, 850, 5)) + path(2, steps(850, 500, 5))
    assert changes(run(started(), frames)) == [(2, "enter"), (2, "exit"), (2, "enter")]


def test_an_id_switch_inside_neither_leaves_nor_enters_again():
    """GIVEN an object inside the zone whose tracker id changes from 1 to 9 WHEN counted THEN a single entry
    (under id 1), no exit, and id 9 is the member, keeping the time it entered."""
    counter = started()
    facts = run(counter, path(1, steps(200, 500, 4)) + path(1, [500] * 5) + path(9, [505, 510, 515, 520] * 8))
    assert changes(facts) == [(1, "enter")]
    member = facts[-1].members
    assert [m.tracker_id for m in member] == [9] and member[0].dwell_s > 3.0


def test_a_flickering_track_stays_in():
    """GIVEN an object inside the zone that the detector misses for one second WHEN it is seen again (same id)
    THEN no exit and no second entry."""
    frames = path(1, steps(200, 500, 4)) + [frame()] * 10 + path(1, [500] * 5)
    assert changes(run(started(), frames)) == [(1, "enter")]


def test_a_track_lost_inside_leaves_after_a_while_with_its_dwell_until_last_seen():
    """GIVEN an object inside the zone that is never seen again WHEN more than FORGET_S pass THEN it exits, at
    the time it was last seen."""
    counter = started()
    facts = run(counter, path(1, steps(200, 500, 4)) + path(1, [500] * 10) + [frame()] * 25)
    exits = [t for f in facts for t in f.transitions if t.kind == "exit"]
    assert changes(facts) == [(1, "enter"), (1, "exit")]
    assert exits[0].at == 100.0 + 13 / 10 and facts[-1].members == ()


def test_objects_already_inside_when_counting_starts_are_members_but_their_entry_and_exit_do_not_count():
    """GIVEN a counter that starts (a stream restart, a new zone) with a car already inside WHEN the car later
    leaves and comes back THEN it is a member from the start, its first exit is not counted (nor was an entry),
    and its return counts as an entry."""
    counter = ZoneCounter(ZONE)
    frames = path(1, [500] * 10) + path(1, steps(500, 900, 5)) + path(1, steps(900, 500, 5))
    facts = run(counter, frames)
    assert [m.tracker_id for m in facts[5].members] == [1]
    assert changes(facts) == [(1, "enter")]


def test_occupancy_counts_members_per_class_and_only_the_zone_classes():
    """GIVEN a zone for cars and trucks, with two cars, a truck and a person inside WHEN counted THEN the
    occupancy is 2 cars and 1 truck."""
    zone = ShapeDefinition(**{**ZONE.__dict__, "classes": frozenset({"car", "truck"})})
    inside = [frame((1, 400, 500, "car"), (2, 450, 500, "car"), (3, 500, 500, "truck"), (4, 550, 500, "person"))]
    counter = ZoneCounter(zone)
    run(counter, QUIET, start=90.0)
    facts = run(counter, inside * 3)
    assert facts[-1].occupancy == {"car": 2, "truck": 1}


def test_unconfirmed_detections_are_never_members():
    """GIVEN boxes with tracker id -1 inside the zone WHEN counted THEN nobody is inside."""
    facts = run(started(), path(-1, [500] * 5))
    assert facts[-1].members == () and changes(facts) == []
