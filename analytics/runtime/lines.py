"""A line's crossing counter: the side of the line each track is on, with hysteresis.

A track's side is only taken as changed once its anchor is beyond a margin on the other side for
`confirm_frames` observations in a row; then it counts once, "in" towards the line's in side, "out" away from
it, if its way from the old side to the new one passed between the line's two ends. So a box jittering on the
line never counts, an object wobbling back and forth on the edge counts once, a detection the tracker has not
confirmed (id -1) never counts, and a flicker (a lost frame, an id switch healed by TrackMemory) does not count
twice. A track first seen on the line has no side until it leaves the margin.
"""

from dataclasses import dataclass

import numpy as np
import supervision as sv

from analytics.runtime.facts import LineCrossing, LineFacts
from analytics.runtime.memory import Observation, Point
from analytics.runtime.shapes import Observations, ShapeCounter, ShapeDefinition


@dataclass
class SideState:
    side: int = 0  # confirmed side: +1 (right of first → second point), -1 (left), 0 not known yet
    last_on_side: Point | None = None  # last anchor beyond the margin on the confirmed side
    pending: int = 0  # the other side, seen beyond the margin
    streak: int = 0  # observations in a row on the pending side


@dataclass(frozen=True)
class LinePixels:
    start: np.ndarray
    direction: np.ndarray  # unit vector, first → second point
    length: float
    margin: float

    @classmethod
    def of(cls, points: np.ndarray, margin: float) -> "LinePixels":
        vector = points[1] - points[0]
        length = float(np.hypot(*vector))
        return cls(start=points[0], direction=vector / length, length=length, margin=margin)

    def distance(self, point: Point) -> float:
        """Signed distance: > 0 on the right of first → second point as seen in the picture (y grows down)."""
        dx, dy = point[0] - self.start[0], point[1] - self.start[1]
        return float(self.direction[0] * dy - self.direction[1] * dx)

    def passes_between_ends(self, a: Point, b: Point) -> bool:
        """Where the way a → b meets the line lies between its two ends (a margin's tolerance)."""
        da, db = self.distance(a), self.distance(b)
        t = da / (da - db)  # da and db have opposite signs: a and b are on either side
        crossing = (a[0] + t * (b[0] - a[0]) - self.start[0], a[1] + t * (b[1] - a[1]) - self.start[1])
        along = float(self.direction[0] * crossing[0] + self.direction[1] * crossing[1])
        return -self.margin <= along <= self.length + self.margin


class LineCounter(ShapeCounter):
    def update(self, detections: sv.Detections, at: float, frame_size: tuple[int, int],
               seen: Observations | None = None) -> LineFacts:
        """Feed one frame; returns the crossings it completed."""
        definition = self.definition  # read once: the runner may redefine the line between two frames
        geometry, heal_px = self.geometry(definition, frame_size, self._pixels)
        observations = self.observed(detections, definition, seen)
        present = {obs.tracker_id for obs in observations}
        crossings = []
        for obs in observations:
            state = self.memory.recall(obs, at, present, heal_px) or SideState()
            direction = self._step(state, obs.point, geometry)
            self.memory.keep(obs, at, state)
            if direction:
                crossings.append(self._crossing(definition, obs, direction, at))
        self.memory.forget_stale(at)
        return LineFacts(line_id=definition.id, name=definition.name, crossings=tuple(crossings))

    def _pixels(self, definition: ShapeDefinition, frame_size: tuple[int, int]) -> tuple[LinePixels, float]:
        margin = self.tuning.pixels(self.tuning.margin, frame_size)
        return LinePixels.of(definition.pixels(frame_size), margin), self.tuning.pixels(self.tuning.heal_distance,
                                                                                        frame_size)  # fmt: skip

    def _step(self, state: SideState, point: Point, line: LinePixels) -> int:
        """Advance one track's state; returns the side it has just been confirmed on after crossing, else 0."""
        distance = line.distance(point)
        if abs(distance) <= line.margin:
            return 0  # on the line: neither side, and no evidence against the confirmed one
        side = 1 if distance > 0 else -1
        if state.side == 0 or side == state.side:
            state.side, state.last_on_side, state.streak = side, point, 0
            return 0
        state.streak = state.streak + 1 if state.pending == side else 1
        state.pending = side
        if state.streak < self.tuning.confirm_frames:
            return 0
        passed = state.last_on_side is None or line.passes_between_ends(state.last_on_side, point)
        state.side, state.last_on_side, state.streak, state.pending = side, point, 0, 0
        return side if passed else 0

    @staticmethod
    def _crossing(definition: ShapeDefinition, obs: Observation, side: int, at: float) -> LineCrossing:
        in_side = 1 if definition.in_side == "right" else -1
        return LineCrossing(
            line_id=definition.id, line_name=definition.name, tracker_id=obs.tracker_id,
            class_name=obs.class_name, direction="in" if side == in_side else "out", at=at,
        )  # fmt: skip
