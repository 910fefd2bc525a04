"""The values the rule engine works on (events.runtime.engine, events.runtime.scene): a rule as the pipeline holds
it, and a sighting (one object, or one overcrowded zone, as a rule sees it in one frame)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv

from events.kinds import RuleKind


@dataclass(frozen=True)
class ObjectRule:
    id: int
    name: str
    classes: frozenset[str]  # empty: every class
    min_score: float
    min_duration_s: float
    cooldown_s: float
    kind: str = RuleKind.OBJECT  # one of events.kinds.OBJECT_KINDS
    zone_id: int | None = None  # object (optional), overcrowded, loitering
    line_id: int | None = None  # line_crossed
    direction: str = "either"  # line_crossed: in | out | either
    max_occupancy: int | None = None  # overcrowded: more than this many inside
    dwell_s: float | None = None  # loitering: inside longer than this

    def counts(self, sighting: "Sighting") -> bool:
        return (not self.classes or sighting.class_name in self.classes) and sighting.score >= self.min_score


@dataclass(frozen=True)
class Sighting:
    key: str  # "t<tracker id>", "c:<class>" when no tracker ran, "z<zone id>" for an overcrowded zone
    class_name: str
    tracker_id: int | None
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in source pixels
    zones: tuple[str, ...] = ()  # names of the zones the object is in now
    zone_ids: tuple[int, ...] = ()
    rank: int = 0  # overcrowded: how many are inside (a higher one is a better snapshot, whatever the score)
    detail: str = ""  # what the event says besides the class (overcrowded: how many; line: which way)

    def better_than(self, other: "Sighting") -> bool:
        return (self.rank, self.score) > (other.rank, other.score)


def sightings_of(detections: sv.Detections) -> list[Sighting]:
    """What a frame's detections show, one sighting per box; boxes a tracker did not match (-1) are skipped."""
    names = detections.data.get("class_name", [])
    tracker_ids = detections.tracker_id
    found = []
    for index in range(len(detections)):
        tracker_id = int(tracker_ids[index]) if tracker_ids is not None else None
        if tracker_id is not None and tracker_id < 0:
            continue
        name = str(names[index]) if len(names) > index else str(detections.class_id[index])
        score = float(detections.confidence[index]) if detections.confidence is not None else 1.0
        box = tuple(float(v) for v in np.asarray(detections.xyxy[index]).tolist())
        key = f"t{tracker_id}" if tracker_id is not None else f"c:{name}"
        found.append(Sighting(key=key, class_name=name, tracker_id=tracker_id, score=score, box=box))  # type: ignore[arg-type]
    return found


def best_per_key(rule: ObjectRule, sightings: Sequence[Sighting]) -> list[Sighting]:
    """The rule's sightings, the best one per object (several boxes of one class are one presence)."""
    best: dict[str, Sighting] = {}
    for sighting in sightings:
        if rule.counts(sighting) and (sighting.key not in best or sighting.better_than(best[sighting.key])):
            best[sighting.key] = sighting
    return list(best.values())
