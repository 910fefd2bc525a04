"""Object rules as a per-stream state machine: the objects a frame shows in, event starts, updates and ends out.

Pure: no database, no clock of its own (each frame's capture time drives it), so tests feed it sightings and
times. An object is a tracker id when a tracker ran (analytics' tracker sets `tracker_id`), so one person in
view is one event however many frames show them; without a tracker, every object of one class is one
"presence" (key = the class), which still makes one event per continuous presence, not one per frame.

Per rule and object: the event starts once the object was seen (at the rule's minimum score) for the rule's
minimum duration; a better sighting becomes an update at most once per `update_interval_s` (the best one of
that interval, with its frame); the event ends when the object was unseen for `lost_after_s` (at the time it
was last seen), after which that object raises nothing for the rule's cooldown.
"""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import supervision as sv


@dataclass(frozen=True)
class ObjectRule:
    id: int
    name: str
    classes: frozenset[str]  # empty: every class
    min_score: float
    min_duration_s: float
    cooldown_s: float

    def counts(self, sighting: "Sighting") -> bool:
        return (not self.classes or sighting.class_name in self.classes) and sighting.score >= self.min_score


@dataclass(frozen=True)
class Sighting:
    key: str  # "t<tracker id>", or "c:<class>" when no tracker ran
    class_name: str
    tracker_id: int | None
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in source pixels


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
    pending: bool = False  # a better sighting than the one last sent


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

    def step(self, sightings: Sequence[Sighting], *, at: float, frame: Any = None) -> list[EventChange]:
        changes: list[EventChange] = []
        if self._last_at is not None and at - self._last_at > 2 * self._lost_after_s + 1.0:
            changes += self.end_all(reason="no frames for a while")  # paused, or the source was lost
        self._last_at = at
        seen: set[tuple[int, str]] = set()
        for rule in self.rules:
            for sighting in _best_per_key(rule, sightings):
                seen.add((rule.id, sighting.key))
                changes += self._saw(rule, sighting, at, frame)
        for key in [key for key, track in self._tracks.items() if key not in seen]:
            if at - self._tracks[key].last_seen >= self._lost_after_s:
                changes += self._drop(key, reason="left")
        return changes

    def end_all(self, *, reason: str) -> list[EventChange]:
        return [change for key in list(self._tracks) for change in self._drop(key, reason=reason)]

    def _saw(self, rule: ObjectRule, sighting: Sighting, at: float, frame: Any) -> list[EventChange]:
        key = (rule.id, sighting.key)
        track = self._tracks.get(key)
        if track is None:
            if at < self._cool_until.get(key, float("-inf")):
                return []
            track = _Track(rule, first_seen=at, last_seen=at, best=sighting, best_at=at, best_frame=frame)
            self._tracks[key] = track
        track.last_seen = at
        if sighting.score > track.best.score:
            track.best, track.best_at, track.best_frame = sighting, at, frame
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
        change = EventChange(kind, track.event_id or "", track.rule, at=at, sighting=track.best, frame=track.best_frame)
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


def _best_per_key(rule: ObjectRule, sightings: Sequence[Sighting]) -> list[Sighting]:
    """The rule's sightings, the best one per object (several boxes of one class are one presence)."""
    best: dict[str, Sighting] = {}
    for sighting in sightings:
        if rule.counts(sighting) and (sighting.key not in best or sighting.score > best[sighting.key].score):
            best[sighting.key] = sighting
    return list(best.values())
