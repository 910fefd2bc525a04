"""Object rules as a per-stream state machine: the objects a frame shows in, event starts, updates and ends out.

Pure: no database, no clock of its own (each frame's capture time drives it), so tests feed it sightings and
times. An object is a tracker id when a tracker ran (analytics' tracker sets `tracker_id`), so one person in
view is one event however many frames show them; without a tracker, every object of one class is one
"presence" (key = the class), which still makes one event per continuous presence, not one per frame.

Per rule and object: the event starts once the object was seen (at the rule's minimum score) for the rule's
minimum duration; a better sighting becomes an update at most once per `update_interval_s` (the best one of
that interval, with its frame); the event ends when the object was unseen for `lost_after_s` (at the time it
was last seen), after which that object raises nothing for the rule's cooldown.

The kinds built on analytics (events.runtime.scene) feed the same machine: an object rule with a zone follows
only the objects inside it; loitering, the objects inside longer than its dwell time (one event per visit: it
ends when the object leaves); overcrowding, one "object" per zone while more than N are inside (a higher count
is a better snapshot; it ends `lost_after_s` after the count fell back to N or fewer). A line crossing is an
event that starts and ends at once. Events carry the zones their object is in now: a change is an update.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from events.kinds import RuleKind
from events.runtime.scene import MemberScores, Scene, crossing_sightings, rule_sightings
from events.runtime.values import ObjectRule, Sighting, best_per_key, sightings_of

__all__ = ["EventChange", "ObjectRule", "ObjectRuleEngine", "Sighting", "best_per_key", "sightings_of"]


@dataclass(frozen=True)
class EventChange:
    kind: Literal["start", "update", "end"]
    event_id: str
    rule: ObjectRule
    at: float  # start: first seen; update: the best sighting's frame; end: last seen
    sighting: Sighting | None = None  # start and update: the best sighting so far
    frame: Any = None  # start and update: the frame of that sighting (the stage draws its snapshot)
    reason: str = ""  # end


@dataclass
class _Track:
    rule: ObjectRule
    first_seen: float
    last_seen: float
    best: Sighting
    best_at: float
    best_frame: Any
    event_id: str | None = None
    sent_at: float = 0.0
    pending: bool = False  # a better sighting (or other zones) than what was last sent
    zones: tuple[str, ...] = ()  # where the object is now (the best sighting may be older)
    zone_ids: tuple[int, ...] = ()


class ObjectRuleEngine:
    def __init__(
        self, *, lost_after_s: float, update_interval_s: float, new_id: Callable[[], str] = lambda: str(uuid.uuid4())
    ) -> None:
        self.rules: tuple[ObjectRule, ...] = ()
        self._lost_after_s = lost_after_s
        self._update_interval_s = update_interval_s
        self._new_id = new_id
        self._tracks: dict[tuple[int, str], _Track] = {}
        self._cool_until: dict[tuple[int, str], float] = {}
        self._last_at: float | None = None
        self._ages = TrackAges(forget_after_s=lost_after_s)
        self._scores = MemberScores()

    @property
    def open_events(self) -> int:
        return sum(track.event_id is not None for track in self._tracks.values())

    def set_rules(self, rules: Iterable[ObjectRule]) -> list[EventChange]:
        """New rules apply from the next frame; the events of a rule that was deleted or disabled end now."""
        self.rules = tuple(rules)
        current = {rule.id: rule for rule in self.rules}
        for (rule_id, _), track in self._tracks.items():
            track.rule = current.get(rule_id, track.rule)
        gone = [key for key in self._tracks if key[0] not in current]
        return [change for key in gone for change in self._drop(key, reason="rule deleted or disabled")]

    def step(
        self, sightings: Sequence[Sighting], *, at: float, frame: Any = None, facts: Mapping[str, Any] | None = None
    ) -> list[EventChange]:
        """One frame: its sightings (sightings_of), capture time, the frame (passed back for snapshots) and the
        analysers' facts (ctx.facts: zones and lines, for the kinds built on them)."""
        changes: list[EventChange] = []
        if self._last_at is not None and at - self._last_at > 2 * self._lost_after_s + 1.0:
            changes += self.end_all(reason="no frames for a while")  # paused, or the source was lost
        self._last_at = at
        scene = Scene.of(facts or {})
        sightings = [scene.with_zones(sighting) for sighting in sightings]
        self._ages.update(sightings, at)
        self._scores.update(scene, sightings)
        seen: set[tuple[int, str]] = set()
        for rule in self.rules:
            if rule.kind == RuleKind.LINE_CROSSED:
                changes += self._crossed(rule, crossing_sightings(rule, sightings, scene, self._ages.best_score), at,
                                         frame)  # fmt: skip
                continue
            for sighting in rule_sightings(rule, sightings, scene, self._scores):
                seen.add((rule.id, sighting.key))
                changes += self._saw(rule, sighting, at, frame)
        for key in [key for key, track in self._tracks.items() if key not in seen]:
            if at - self._tracks[key].last_seen >= self._lost_after_s:
                changes += self._drop(key, reason="left")
        return changes

    def _crossed(self, rule: ObjectRule, crossings: list[Sighting], at: float, frame: Any) -> list[EventChange]:
        """A crossing is an event that starts and ends at once: after the object was seen for the rule's minimum
        duration, and not within the cooldown of the same object's last crossing event."""
        changes: list[EventChange] = []
        for sighting in crossings:
            key = (rule.id, sighting.key)
            if at < self._cool_until.get(key, float("-inf")) or self._ages.age(sighting, at) < rule.min_duration_s:
                continue
            event_id = self._new_id()
            changes.append(EventChange("start", event_id, rule, at=at, sighting=sighting, frame=frame))
            changes.append(EventChange("end", event_id, rule, at=at, reason="crossed"))
            self._cool_until[key] = at + rule.cooldown_s
        return changes

    def end_all(self, *, reason: str) -> list[EventChange]:
        return [change for key in list(self._tracks) for change in self._drop(key, reason=reason)]

    def _saw(self, rule: ObjectRule, sighting: Sighting, at: float, frame: Any) -> list[EventChange]:
        key = (rule.id, sighting.key)
        track = self._tracks.get(key)
        if track is None:
            if at < self._cool_until.get(key, float("-inf")):
                return []
            track = _Track(rule, first_seen=at, last_seen=at, best=sighting, best_at=at, best_frame=frame,
                           zones=sighting.zones, zone_ids=sighting.zone_ids)  # fmt: skip
            self._tracks[key] = track
        track.last_seen = at
        if sighting.better_than(track.best):
            track.best, track.best_at, track.best_frame = sighting, at, frame
            track.pending = track.event_id is not None
        if sighting.zones != track.zones:
            track.zones, track.zone_ids = sighting.zones, sighting.zone_ids
            track.pending = track.event_id is not None
        if track.event_id is None:
            if at - track.first_seen < rule.min_duration_s:
                return []
            track.event_id, track.sent_at = self._new_id(), at
            return [self._change("start", track, at=track.first_seen)]
        if track.pending and at - track.sent_at >= self._update_interval_s:
            return [self._flush(track, at)]
        return []

    def _flush(self, track: _Track, at: float) -> EventChange:
        track.pending, track.sent_at = False, at
        return self._change("update", track, at=track.best_at)

    def _change(self, kind: Literal["start", "update"], track: _Track, *, at: float) -> EventChange:
        best = replace(track.best, zones=track.zones, zone_ids=track.zone_ids)  # the zones it is in now
        change = EventChange(kind, track.event_id or "", track.rule, at=at, sighting=best, frame=track.best_frame)
        track.best_frame = None  # the stage has drawn it; keep no frame longer than needed
        return change

    def _drop(self, key: tuple[int, str], *, reason: str) -> list[EventChange]:
        track = self._tracks.pop(key)
        if track.event_id is None:
            return []
        changes = [self._flush(track, track.last_seen)] if track.pending else []
        changes.append(EventChange("end", track.event_id, track.rule, at=track.last_seen, reason=reason))
        self._cool_until[key] = track.last_seen + track.rule.cooldown_s
        return changes


class TrackAges:
    """Since when each tracked object has been in view, and its best confidence so far (a line rule's minimum
    duration and score: one blurred crossing frame does not hide a car seen clearly before); forgotten once
    unseen for `forget_after_s`, so a returning object starts again."""

    def __init__(self, *, forget_after_s: float) -> None:
        self._forget_after_s = forget_after_s
        self._seen: dict[int, tuple[float, float, float]] = {}  # tracker id -> (first seen, last seen, best score)

    def update(self, sightings: Iterable[Sighting], at: float) -> None:
        for sighting in sightings:
            if sighting.tracker_id is not None:
                first, _, best = self._seen.get(sighting.tracker_id, (at, at, 0.0))
                self._seen[sighting.tracker_id] = (first, at, max(best, sighting.score))
        stale = [tid for tid, (_, last, _) in self._seen.items() if at - last > self._forget_after_s]
        for tracker_id in stale:
            del self._seen[tracker_id]

    def age(self, sighting: Sighting, at: float) -> float:
        if sighting.tracker_id is None:
            return 0.0
        return at - self._seen.get(sighting.tracker_id, (at, at, 0.0))[0]

    def best_score(self, sighting: Sighting) -> float:
        return max(sighting.score, self._seen.get(sighting.tracker_id, (0.0, 0.0, 0.0))[2])
