"""The object-rule state machine (events/runtime/engine.py), fed sightings and capture times."""

import itertools

import numpy as np
import supervision as sv

from events.runtime.engine import ObjectRule, ObjectRuleEngine, Sighting, sightings_of

PERSON = ObjectRule(id=1, name="person", classes=frozenset({"person"}), min_score=0.5, min_duration_s=0.0,
                    cooldown_s=0.0)  # fmt: skip


def _engine(**kw) -> ObjectRuleEngine:
    ids = (f"event-{n}" for n in itertools.count(1))
    engine = ObjectRuleEngine(lost_after_s=kw.pop("lost_after_s", 2.0), update_interval_s=1.0, new_id=lambda: next(ids))
    engine.set_rules([kw.pop("rule", PERSON)])
    return engine


def _person(tracker_id: int | None = 7, score: float = 0.8, name: str = "person") -> Sighting:
    key = f"t{tracker_id}" if tracker_id is not None else f"c:{name}"
    return Sighting(key=key, class_name=name, tracker_id=tracker_id, score=score, box=(10.0, 20.0, 110.0, 220.0))


def _run(engine, frames, fps=10.0):
    """frames: the sightings of each frame, at `fps` from t=0; returns every change in order."""
    return [change for index, seen in enumerate(frames) for change in engine.step(seen, at=index / fps, frame=index)]


def test_one_person_standing_in_view_is_one_event_not_one_per_frame():
    """GIVEN a tracked person in 50 frames WHEN they then leave THEN one event starts (at the first frame), none
    more, and it ends once, at the time they were last seen."""
    changes = _run(_engine(), [[_person()]] * 50 + [[]] * 30)
    assert [c.kind for c in changes] == ["start", "end"]
    start, end = changes
    assert start.event_id == end.event_id and start.at == 0.0 and start.frame == 0
    assert end.at == 4.9 and end.reason == "left"


def test_two_people_are_two_events_and_untracked_boxes_are_ignored():
    """GIVEN two tracked people and a box the tracker did not match (-1) WHEN they stay THEN two events start."""
    detections = sv.Detections(
        xyxy=np.array([[0, 0, 10, 10], [20, 20, 40, 40], [50, 50, 60, 60]], float),
        confidence=np.array([0.9, 0.7, 0.95]), class_id=np.array([0, 0, 0]),
        tracker_id=np.array([3, 4, -1]), data={"class_name": np.array(["person"] * 3)},
    )
    changes = _engine().step(sightings_of(detections), at=0.0)
    assert sorted(c.sighting.tracker_id for c in changes if c.kind == "start") == [3, 4]


def test_without_a_tracker_a_class_is_one_presence():
    """GIVEN detections with no tracker ids (no tracker ran) WHEN three people are in view THEN one presence event
    for the class starts, with the best of the three boxes."""
    detections = sv.Detections(
        xyxy=np.array([[0, 0, 10, 10], [20, 20, 40, 40], [50, 50, 60, 60]], float),
        confidence=np.array([0.6, 0.9, 0.7]), class_id=np.array([0, 0, 0]),
        data={"class_name": np.array(["person"] * 3)},
    )
    changes = _engine().step(sightings_of(detections), at=0.0)
    assert len(changes) == 1 and changes[0].sighting.key == "c:person" and changes[0].sighting.score == 0.9


def test_minimum_score_and_classes_filter_what_counts():
    """GIVEN a rule for persons at 0.5 WHEN a car and a person at 0.3 show THEN nothing starts."""
    changes = _run(_engine(), [[_person(score=0.3), _person(tracker_id=8, name="car", score=0.9)]] * 20)
    assert changes == []


def test_minimum_duration_delays_the_start_and_a_short_visit_raises_nothing():
    """GIVEN a rule with a 2 s minimum duration WHEN a person stays 1 s, leaves, then another stays 3 s THEN only the
    second raises an event, starting at their first frame."""
    rule = ObjectRule(id=1, name="p", classes=frozenset(), min_score=0.5, min_duration_s=2.0, cooldown_s=0.0)
    frames = [[_person(7)]] * 10 + [[]] * 30 + [[_person(8)]] * 30 + [[]] * 30
    starts = [c for c in _run(_engine(rule=rule), frames) if c.kind == "start"]
    assert len(starts) == 1 and starts[0].sighting.tracker_id == 8 and starts[0].at == 4.0


def test_better_sightings_update_at_most_once_a_second_with_the_best_frame():
    """GIVEN a person whose score rises every frame for 3 s WHEN frames come at 10 fps THEN updates come no more
    than once a second, each with the best sighting of its interval and that sighting's frame, and the last
    improvement is sent before the end."""
    frames = [[_person(score=0.5 + i * 0.01)] for i in range(30)] + [[]] * 25
    changes = _run(_engine(), frames)
    updates = [c for c in changes if c.kind == "update"]
    assert [c.kind for c in changes][0] == "start" and changes[-1].kind == "end"
    assert 2 <= len(updates) <= 4
    sent = [c.at for c in updates]
    assert all(later - earlier > 0.85 for earlier, later in itertools.pairwise(sent))
    assert all(c.frame == round(c.at * 10) for c in updates)
    assert updates[-1].sighting.score == max(0.5 + i * 0.01 for i in range(30))


def test_cooldown_keeps_the_same_object_quiet_but_not_others():
    """GIVEN a rule with a 10 s cooldown WHEN a presence ends and the class comes back 3 s later THEN no new event;
    a different tracked object meanwhile still raises one."""
    rule = ObjectRule(id=1, name="p", classes=frozenset(), min_score=0.5, min_duration_s=0.0, cooldown_s=10.0)
    engine = _engine(rule=rule)
    frames = [[_person(None)]] * 5 + [[]] * 25 + [[_person(None), _person(9)]] * 5
    starts = [c for c in _run(engine, frames) if c.kind == "start"]
    assert [s.sighting.key for s in starts] == ["c:person", "t9"]


def test_a_deleted_rule_ends_its_events_and_a_gap_in_frames_ends_everything():
    """GIVEN an event in progress WHEN its rule is removed THEN it ends; GIVEN another WHEN frames stop for a while
    (paused, source lost) THEN it ends at the last sighting and the object makes a new event afterwards."""
    engine = _engine()
    engine.step([_person()], at=0.0)
    assert [c.kind for c in engine.set_rules([])] == ["end"]
    engine.set_rules([PERSON])
    first = engine.step([_person()], at=1.0)
    later = engine.step([_person()], at=30.0)
    assert [c.kind for c in later] == ["end", "start"]
    assert later[0].event_id == first[0].event_id and later[0].at == 1.0
