"""The rule kinds built on analytics facts (events/runtime/scene.py through events/runtime/engine.py): an object in a
zone, a line crossed, overcrowding and loitering, fed sightings and hand-made zone and line facts."""

import itertools

from analytics.runtime.facts import LINES, ZONES, LineCrossing, LineFacts, ZoneFacts, ZoneMember
from events.runtime.engine import ObjectRule, ObjectRuleEngine, Sighting

ZONE, LINE = 5, 9
BASE = {"name": "r", "classes": frozenset({"person"}), "min_score": 0.5, "min_duration_s": 0.0, "cooldown_s": 0.0}


def rule(kind: str, **fields) -> ObjectRule:
    return ObjectRule(**{"id": 1, **BASE, "kind": kind, **fields})


def engine(rule_: ObjectRule, lost_after_s: float = 1.0) -> ObjectRuleEngine:
    ids = (f"event-{n}" for n in itertools.count(1))
    found = ObjectRuleEngine(lost_after_s=lost_after_s, update_interval_s=0.0, new_id=lambda: next(ids))
    found.set_rules([rule_])
    return found


def person(tracker_id: int, score: float = 0.8, name: str = "person") -> Sighting:
    return Sighting(key=f"t{tracker_id}", class_name=name, tracker_id=tracker_id, score=score,
                    box=(10.0 * tracker_id, 20.0, 10.0 * tracker_id + 50, 120.0))  # fmt: skip


def facts(inside: dict[int, float] | None = None, crossings=(), zone_name: str = "door", classes=None) -> dict:
    """inside: tracker id -> dwell so far (members of ZONE); crossings: (tracker id, direction) on LINE."""
    members = tuple(ZoneMember(tid, (classes or {}).get(tid, "person"), 0.0, dwell)
                    for tid, dwell in (inside or {}).items())  # fmt: skip
    line = tuple(LineCrossing(LINE, "gate", tid, "person", direction, 0.0) for tid, direction in crossings)
    return {ZONES: {ZONE: ZoneFacts(ZONE, zone_name, members, ())}, LINES: {LINE: LineFacts(LINE, "gate", line)}}


def run(engine_: ObjectRuleEngine, frames, fps: float = 10.0) -> list:
    """frames: (sightings, facts) per frame at `fps` from t=0; every change, in order."""
    return [change for index, (seen, found) in enumerate(frames)
            for change in engine_.step(seen, at=index / fps, frame=index, facts=found)]  # fmt: skip


def kinds(changes) -> list[str]:
    return [change.kind for change in changes]


def test_an_object_rule_with_a_zone_follows_the_object_only_while_it_is_inside():
    """GIVEN a person rule limited to a zone WHEN a person walks in view outside the zone, then inside, then out
    THEN one event starts at the first frame inside, carries the zone, and ends after they left it."""
    outside, inside = ([person(3)], facts()), ([person(3)], facts({3: 0.0}))
    changes = run(engine(rule("object", zone_id=ZONE)), [outside] * 10 + [inside] * 10 + [outside] * 20)
    assert kinds(changes) == ["start", "end"]
    assert changes[0].at == 1.0 and changes[0].sighting.zones == ("door",) and changes[0].sighting.zone_ids == (ZONE,)
    assert changes[1].at == 1.9 and changes[1].reason == "left"


def test_a_plain_object_event_is_updated_with_the_zones_its_object_moves_into():
    """GIVEN a person rule without a zone WHEN the person steps into a zone THEN the event is updated with that
    zone (its current zones), not restarted."""
    changes = run(engine(rule("object")), [([person(3)], facts())] * 3 + [([person(3)], facts({3: 0.0}))] * 3)
    assert kinds(changes) == ["start", "update"]
    assert changes[0].sighting.zones == () and changes[1].sighting.zones == ("door",)


def test_a_line_rule_makes_one_instant_event_per_crossing_in_its_direction():
    """GIVEN an "in" line rule WHEN one person crosses in, another out, a car in THEN one event, starting and
    ending at the crossing's frame, for the person who crossed in; "either" gets both people."""
    frames = [([person(1), person(2), person(4, name="car")], facts(crossings=[(1, "in"), (2, "out")]))]
    frames[0][1][LINES][LINE] = LineFacts(LINE, "gate", (
        LineCrossing(LINE, "gate", 1, "person", "in", 0.0), LineCrossing(LINE, "gate", 2, "person", "out", 0.0),
        LineCrossing(LINE, "gate", 4, "car", "in", 0.0)))  # fmt: skip
    changes = run(engine(rule("line_crossed", line_id=LINE, direction="in")), frames)
    assert kinds(changes) == ["start", "end"] and changes[0].sighting.tracker_id == 1
    assert changes[0].event_id == changes[1].event_id and changes[0].at == changes[1].at == 0.0
    assert changes[0].sighting.detail == "crossed “gate” in" and changes[0].frame == 0
    either = run(engine(rule("line_crossed", line_id=LINE, direction="either")), frames)
    assert sorted(c.sighting.tracker_id for c in either if c.kind == "start") == [1, 2]


def test_a_line_rule_honours_min_score_min_duration_and_cooldown():
    """GIVEN line rules WHEN a weakly detected object crosses, an object crosses 0.3 s after it appeared, and one
    object crosses back and forth THEN below the minimum score nothing (unless the object was seen above it
    before: its best score counts), before the minimum duration nothing, and within the cooldown the same object
    raises one event (another object still raises its own)."""
    weak = [([person(1, score=0.3)], facts(crossings=[(1, "in")]))]
    assert run(engine(rule("line_crossed", line_id=LINE)), weak) == []
    seen_well = [([person(1, score=0.9)], facts())] + weak  # its best confidence so far is what counts
    changes = run(engine(rule("line_crossed", line_id=LINE)), seen_well)
    assert kinds(changes) == ["start", "end"] and changes[0].sighting.score == 0.9
    early = [([person(1)], facts())] * 3 + [([person(1)], facts(crossings=[(1, "in")]))]
    assert run(engine(rule("line_crossed", line_id=LINE, min_duration_s=1.0)), early) == []
    late = [([person(1)], facts())] * 10 + [([person(1)], facts(crossings=[(1, "in")]))]
    assert kinds(run(engine(rule("line_crossed", line_id=LINE, min_duration_s=1.0)), late)) == ["start", "end"]
    wobble = [([person(1), person(2)], facts(crossings=[(1, "in")])), ([person(1), person(2)], facts()),
              ([person(1), person(2)], facts(crossings=[(1, "out"), (2, "in")]))]  # fmt: skip
    changes = run(engine(rule("line_crossed", line_id=LINE, cooldown_s=5.0)), wobble)
    assert [c.sighting.tracker_id for c in changes if c.kind == "start"] == [1, 2]


def test_overcrowding_starts_above_n_keeps_the_peak_and_ends_back_at_n():
    """GIVEN "more than 2 in the zone" WHEN 1, 2, 3, 4, then 2 people are inside THEN one event starts when the
    third enters, is updated to 4 inside (the peak, a better snapshot), and ends after the count fell back."""
    def crowd(n: int):
        return [person(t) for t in range(1, n + 1)], facts(dict.fromkeys(range(1, n + 1), 1.0))

    frames = [crowd(1)] * 3 + [crowd(2)] * 3 + [crowd(3)] * 3 + [crowd(4)] * 3 + [crowd(2)] * 20
    changes = run(engine(rule("overcrowded", zone_id=ZONE, max_occupancy=2)), frames)
    assert kinds(changes) == ["start", "update", "end"]
    start, update, end = changes
    assert start.at == 0.6 and start.sighting.rank == 3 and start.sighting.detail == "3 inside “door” (more than 2)"
    assert update.sighting.rank == 4 and update.sighting.box == (10.0, 20.0, 90.0, 120.0)
    assert end.at == 1.1 and start.event_id == end.event_id and start.sighting.zones == ("door",)


def test_overcrowding_counts_only_the_rule_classes_at_its_score_and_honours_min_duration_and_cooldown():
    """GIVEN "more than 1 person" WHEN two people and a dog are inside, one person weakly detected THEN no event;
    WHEN two people are inside for 0.5 s with a minimum duration of 1 s THEN none; for 2 s THEN one; after it
    ended, crowding again within the cooldown raises none."""
    weak = ([person(1), person(2, score=0.2), person(3, name="dog")], facts({1: 0, 2: 0, 3: 0}, classes={3: "dog"}))
    assert run(engine(rule("overcrowded", zone_id=ZONE, max_occupancy=1)), [weak] * 5) == []
    two, empty = ([person(1), person(2)], facts({1: 0.0, 2: 0.0})), ([], facts())
    strict = rule("overcrowded", zone_id=ZONE, max_occupancy=1, min_duration_s=1.0, cooldown_s=10.0)
    assert run(engine(strict), [two] * 5 + [empty] * 20) == []
    changes = run(engine(strict), [two] * 20 + [empty] * 20 + [two] * 20)
    assert kinds(changes) == ["start", "end"]


def test_a_detector_miss_inside_the_zone_does_not_drop_the_occupancy():
    """GIVEN three people inside, over "more than 2" WHEN the detector misses one for a frame (the zone keeps it
    as a member) THEN the event goes on: one start, no end while they stay."""
    full = ([person(1), person(2), person(3)], facts({1: 1.0, 2: 1.0, 3: 1.0}))
    missed = ([person(1), person(2)], facts({1: 1.0, 2: 1.0, 3: 1.0}))
    changes = run(engine(rule("overcrowded", zone_id=ZONE, max_occupancy=2)), [full, missed, full, missed] * 10)
    assert kinds(changes) == ["start"]


def test_loitering_is_one_event_per_visit_once_the_object_stayed_longer_than_t():
    """GIVEN "longer than 3 s in the zone" WHEN a person stays 5 s, leaves, and comes back for 1 s, then for
    4 s THEN an event starts when their dwell passes 3 s and ends when they leave; the short visit raises none;
    the long second visit raises a second one."""
    def visit(seconds: float):
        return [([person(7)], facts({7: i / 10})) for i in range(int(seconds * 10))]

    away = [([], facts())] * 20
    frames = visit(5) + away + visit(1) + away + visit(4) + away
    changes = run(engine(rule("loitering", zone_id=ZONE, dwell_s=3.0)), frames)
    assert kinds(changes) == ["start", "end", "start", "end"]
    assert changes[0].at == 3.1 and changes[1].at == 4.9 and changes[0].sighting.zones == ("door",)
    assert changes[0].event_id != changes[2].event_id


def test_loitering_within_the_cooldown_and_below_the_score_raises_nothing():
    """GIVEN loitering with a cooldown of 60 s WHEN the same person loiters twice, 2 s apart THEN one event; a
    weakly detected loiterer raises none."""
    def visit(seconds: float, score: float = 0.8):
        return [([person(7, score=score)], facts({7: i / 10})) for i in range(int(seconds * 10))]

    cooled = rule("loitering", zone_id=ZONE, dwell_s=1.0, cooldown_s=60.0)
    assert kinds(run(engine(cooled), visit(3) + [([], facts())] * 20 + visit(3))) == ["start", "end"]
    assert run(engine(rule("loitering", zone_id=ZONE, dwell_s=1.0)), visit(3, score=0.3)) == []


def test_rules_without_facts_raise_nothing():
    """GIVEN zone, line, crowd and loitering rules WHEN frames come with no analytics facts (tracking off) THEN
    nothing happens and nothing fails."""
    for made in (rule("object", zone_id=ZONE), rule("line_crossed", line_id=LINE),
                 rule("overcrowded", zone_id=ZONE, max_occupancy=0), rule("loitering", zone_id=ZONE, dwell_s=0.0)):
        assert run(engine(made), [([person(1)], {})] * 5) == []
