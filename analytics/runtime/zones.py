"""A zone's counter: who is inside, since when, and the entries and exits, with hysteresis.

A track enters once its anchor is inside the polygon for `confirm_frames` observations (with none clearly
outside in between), and leaves once it is outside by more than the margin for as many (with none inside in
between), or when the tracker has not seen it for `forget_s` (it left the picture, or was lost). So an object
on the zone's edge enters once and stays in; a flicker or an id switch (healed by TrackMemory) neither leaves
nor enters again.

Objects already inside when the counter starts (the stream or the zone was just started or created) are
members, shown in the occupancy and dwell, but their entry is not counted, nor is their exit: nobody saw them
come in, and a restart of the stream must not add entries for whoever happened to be inside.
"""

from dataclasses import dataclass

import cv2
import numpy as np
import supervision as sv

from analytics.runtime.facts import ZoneFacts, ZoneMember, ZoneTransition
from analytics.runtime.memory import Observation
from analytics.runtime.shapes import Observations, ShapeCounter, ShapeDefinition

STARTUP_S = 2.0  # objects first seen inside this soon after the counter's first frame were there already


@dataclass
class Membership:
    inside: bool = False
    entered_at: float = 0.0
    counted: bool = True  # its entry was counted, so its exit is too
    first_seen_inside: bool | None = None  # None until its first observation
    streak: int = 0  # observations in a row contradicting `inside`
    streak_since: float = 0.0


class ZoneCounter(ShapeCounter):
    started_at: float | None = None

    def update(self, detections: sv.Detections, at: float, frame_size: tuple[int, int],
               seen: Observations | None = None) -> ZoneFacts:
        """Feed one frame; returns who is inside and the entries and exits it completed."""
        if self.started_at is None:
            self.started_at = at
        definition = self.definition  # read once: the runner may redefine the zone between two frames
        polygon, margin, heal_px = self.geometry(definition, frame_size, self._pixels)
        observations = self.observed(detections, definition, seen)
        present = {obs.tracker_id for obs in observations}
        transitions: list[ZoneTransition] = []
        for obs in observations:
            state = self.memory.recall(obs, at, present, heal_px) or Membership()
            distance = cv2.pointPolygonTest(polygon, obs.point, True)  # > 0 inside
            transitions += self._step(state, obs, distance, margin, at)
            self.memory.keep(obs, at, state)
        for tracker_id, gone in self.memory.forget_stale(at):
            if gone.state.inside:
                transitions += self._exit(gone.state, tracker_id, gone.class_name, gone.last_seen)
        return ZoneFacts(definition.id, definition.name, self._members(at), tuple(transitions))

    def _pixels(self, definition: ShapeDefinition, frame_size: tuple[int, int]) -> tuple[np.ndarray, float, float]:
        polygon = definition.pixels(frame_size).astype(np.float32).reshape(-1, 1, 2)
        pixels = self.tuning.pixels
        return polygon, pixels(self.tuning.margin, frame_size), pixels(self.tuning.heal_distance, frame_size)

    def _step(self, state: Membership, obs: Observation, distance: float, margin: float, at: float) -> list:
        if state.first_seen_inside is None:
            state.first_seen_inside = distance >= 0 and at - (self.started_at or at) <= STARTUP_S
        # Inside, outside by more than the margin, or on the edge in between (which neither confirms nor
        # contradicts: an object standing on the edge enters once and stays in).
        contradicts = distance < -margin if state.inside else distance >= 0
        confirms = distance >= 0 if state.inside else distance < -margin
        if confirms:
            state.streak = 0
        if not contradicts:
            return []
        if state.streak == 0:
            state.streak_since = at
        state.streak += 1
        if state.streak < self.tuning.confirm_frames:
            return []
        state.streak = 0
        if state.inside:
            return self._exit(state, obs.tracker_id, obs.class_name, at)
        state.inside, state.entered_at = True, state.streak_since
        state.counted = not state.first_seen_inside
        return [self._transition(obs.tracker_id, obs.class_name, "enter", at, 0.0)] if state.counted else []

    def _exit(self, state: Membership, tracker_id: int, class_name: str, at: float) -> list[ZoneTransition]:
        state.inside = False
        if not state.counted:
            state.counted = True  # if it comes back in, that entry counts
            state.first_seen_inside = False
            return []
        return [self._transition(tracker_id, class_name, "exit", at, max(0.0, at - state.entered_at))]

    def _transition(self, tracker_id: int, class_name: str, kind: str, at: float, dwell_s: float) -> ZoneTransition:
        return ZoneTransition(
            zone_id=self.definition.id, zone_name=self.definition.name, tracker_id=tracker_id,
            class_name=class_name, kind=kind, at=at, dwell_s=dwell_s,
        )  # fmt: skip

    def _members(self, at: float) -> tuple[ZoneMember, ...]:
        return tuple(
            ZoneMember(tracker_id, known.class_name, known.state.entered_at, max(0.0, at - known.state.entered_at))
            for tracker_id, known in self.memory.items()
            if known.state.inside
        )
