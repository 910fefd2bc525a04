"""What the rule kinds built on analytics see in one frame (pure, like events.runtime.engine).

The analysers put their facts on the frame (analytics.runtime.facts: ZONES, LINES); a Scene indexes them so
each rule asks cheaply: which zones a tracked object is in now, who is inside a zone and for how long, which
crossings a line completed. Per kind, `rule_sightings` turns the frame into what the rule's state machine
follows (ObjectRuleEngine): one sighting per object that satisfies the rule now, or one per overcrowded zone.
Crossings are instantaneous and go through `crossing_sightings` instead (an event that starts and ends at once).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from analytics.runtime.facts import LINES, ZONES, LineCrossing, ZoneFacts, ZoneMember
from events.kinds import RuleKind
from events.runtime.values import ObjectRule, Sighting, best_per_key


@dataclass(frozen=True)
class Scene:
    zones: Mapping[int, ZoneFacts]
    crossings: Mapping[int, tuple[LineCrossing, ...]]
    member_of: Mapping[int, tuple[int, ...]]  # tracker id -> ids of the zones it is inside now

    @classmethod
    def of(cls, facts: Mapping[str, Any]) -> "Scene":
        zones = facts.get(ZONES) or {}
        member_of: dict[int, list[int]] = defaultdict(list)
        for zone_id, zone in zones.items():
            for member in zone.members:
                member_of[member.tracker_id].append(zone_id)
        crossings = {line_id: line.crossings for line_id, line in (facts.get(LINES) or {}).items()}
        return cls(zones=zones, crossings=crossings, member_of={k: tuple(v) for k, v in member_of.items()})

    def with_zones(self, sighting: Sighting) -> Sighting:
        """The sighting, naming the zones its object is in now (events carry them)."""
        ids = self.member_of.get(sighting.tracker_id, ()) if sighting.tracker_id is not None else ()
        return replace(sighting, zone_ids=ids, zones=tuple(self.zones[i].name for i in ids)) if ids else sighting

    def member(self, zone_id: int | None, tracker_id: int | None) -> ZoneMember | None:
        zone = self.zones.get(zone_id) if zone_id is not None else None
        if zone is None or tracker_id is None:
            return None
        return next((m for m in zone.members if m.tracker_id == tracker_id), None)


@dataclass
class MemberScores:
    """The last confidence seen of each object inside some zone: a member the detector missed in this frame
    (the zone keeps it, with hysteresis) still counts towards the occupancy with its last score."""

    scores: dict[int, float] = field(default_factory=dict)

    def update(self, scene: Scene, sightings: Sequence[Sighting]) -> None:
        now = {s.tracker_id: s.score for s in sightings if s.tracker_id is not None}
        self.scores = {tid: now.get(tid, self.scores.get(tid, 0.0)) for tid in scene.member_of}


def rule_sightings(rule: ObjectRule, sightings: Sequence[Sighting], scene: Scene,
                   scores: MemberScores) -> list[Sighting]:  # fmt: skip
    """What the rule follows in this frame (not for line rules: see crossing_sightings)."""
    if rule.kind == RuleKind.OVERCROWDED:
        crowd = _crowd(rule, sightings, scene, scores)
        return [crowd] if crowd is not None else []
    found = best_per_key(rule, sightings)
    if rule.kind == RuleKind.LOITERING:
        dwell = rule.dwell_s or 0.0
        return [s for s in found if (m := scene.member(rule.zone_id, s.tracker_id)) is not None and m.dwell_s > dwell]
    if rule.zone_id is not None:  # an object rule limited to a zone
        return [s for s in found if scene.member(rule.zone_id, s.tracker_id) is not None]
    return found


def _crowd(rule: ObjectRule, sightings: Sequence[Sighting], scene: Scene, scores: MemberScores) -> Sighting | None:
    """One sighting for the whole zone while more than `max_occupancy` objects of the rule are inside."""
    zone = scene.zones.get(rule.zone_id) if rule.zone_id is not None else None
    if zone is None:
        return None
    inside = [m for m in zone.members if (not rule.classes or m.class_name in rule.classes)
              and scores.scores.get(m.tracker_id, 0.0) >= rule.min_score]  # fmt: skip
    limit = rule.max_occupancy or 0
    if len(inside) <= limit:
        return None
    ids = {m.tracker_id for m in inside}
    seen = [s for s in sightings if s.tracker_id in ids]
    return Sighting(
        key=f"z{zone.zone_id}", class_name=", ".join(sorted({m.class_name for m in inside})), tracker_id=None,
        score=max((scores.scores.get(tid, 0.0) for tid in ids), default=0.0), box=_union(s.box for s in seen),
        zones=(zone.name,), zone_ids=(zone.zone_id,), rank=len(inside),
        detail=f"{len(inside)} inside “{zone.name}” (more than {limit})",
    )  # fmt: skip


def _union(boxes: Iterable[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    boxes = list(boxes)
    if not boxes:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def crossing_sightings(rule: ObjectRule, sightings: Sequence[Sighting], scene: Scene,
                       best_score: Callable[[Sighting], float]) -> list[Sighting]:  # fmt: skip
    """The crossings of the rule's line in this frame, in its direction and classes, by objects whose best
    confidence so far (`best_score`) reaches the rule's minimum score."""
    by_tracker = {s.tracker_id: s for s in sightings if s.tracker_id is not None}
    found = []
    for crossing in scene.crossings.get(rule.line_id, ()) if rule.line_id is not None else ():
        if rule.direction not in ("either", crossing.direction):
            continue
        sighting = by_tracker.get(crossing.tracker_id)
        if sighting is None:
            continue
        sighting = replace(sighting, class_name=crossing.class_name, score=best_score(sighting),
                           detail=f"crossed “{crossing.line_name}” {crossing.direction}")  # fmt: skip
        if rule.counts(sighting):
            found.append(sighting)
    return found
