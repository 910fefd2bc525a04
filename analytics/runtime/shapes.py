"""What a zone or line counter is built from (a database row, read by analytics/runtime/live.py) and what
every counter does alike: turn a frame's tracked detections into the observations it counts.

Counters are pure state machines: fed detections (with tracker ids), the capture time and the frame size, they
return the frame's facts. They never touch the database, Redis or the clock, so tests drive them directly.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import supervision as sv

from analytics.runtime.memory import Observation, TrackMemory

CLASS_NAME = "class_name"
# Hysteresis and id-switch healing, relative to the frame's diagonal so that they hold at any resolution.
MARGIN = 0.01  # a side (or inside/outside) changes only this far beyond the edge: ~15 px at 1280×720
CONFIRM_FRAMES = 2  # ... and for this many observations in a row
HEAL_DISTANCE = 0.08  # a new id this close to where a vanished track was last seen continues its state
HEAL_S = 1.0  # ... if it vanished at most this long ago
FORGET_S = 2.0  # a track unseen for longer is forgotten (a zone counts its exit)


@dataclass(frozen=True)
class ShapeDefinition:
    id: int
    name: str
    points: tuple[tuple[float, float], ...]  # relative to the frame, 0..1
    classes: frozenset[str] = frozenset()  # empty: every class
    anchor: str = "BOTTOM_CENTER"  # a supervision Position name
    in_side: str = "right"  # lines only: "left" / "right" of first → second point

    def pixels(self, frame_size: tuple[int, int]) -> np.ndarray:
        width, height = frame_size
        return np.array([(x * width, y * height) for x, y in self.points], dtype=np.float64)


@dataclass(frozen=True)
class Tuning:
    margin: float = MARGIN
    confirm_frames: int = CONFIRM_FRAMES
    heal_distance: float = HEAL_DISTANCE
    heal_s: float = HEAL_S
    forget_s: float = FORGET_S

    def pixels(self, fraction: float, frame_size: tuple[int, int]) -> float:
        return fraction * float(np.hypot(*frame_size))


class ShapeCounter:
    """The part every counter shares: its definition (replaceable while it runs) and its track memory."""

    def __init__(self, definition: ShapeDefinition, tuning: Tuning | None = None) -> None:
        self.definition = definition
        self.tuning = tuning or Tuning()
        self.memory: TrackMemory = TrackMemory(forget_s=self.tuning.forget_s, heal_s=self.tuning.heal_s)
        self._geometry: tuple[tuple, object] | None = None

    def geometry(self, definition: ShapeDefinition, frame_size: tuple[int, int], build: Callable) -> Any:
        """`build(definition, frame_size)`, computed again only when the shape or the frame size changes."""
        key = (definition, frame_size)
        if self._geometry is None or self._geometry[0] != key:
            self._geometry = (key, build(definition, frame_size))
        return self._geometry[1]

    def redefine(self, definition: ShapeDefinition) -> None:
        """A new shape, name, classes or anchor from the next frame on; what it remembers of tracks stays."""
        self.definition = definition

    @staticmethod
    def observed(detections: sv.Detections, definition: ShapeDefinition, seen: "Observations | None") -> list:
        """What this counter counts in the frame (`seen`: the frame's observations, shared by its counters)."""
        return (seen or Observations(detections)).of(definition.anchor, definition.classes)



class Observations:
    """One frame's confirmed tracks as the counters see them: anchor points computed once per anchor and
    filtered once per class set, however many zones and lines share them."""

    def __init__(self, detections: sv.Detections) -> None:
        self._detections = detections
        self._by_anchor: dict[str, list[Observation]] = {}
        self._by_key: dict[tuple[str, frozenset[str]], list[Observation]] = {}

    def of(self, anchor: str, classes: frozenset[str]) -> list[Observation]:
        key = (anchor, classes)
        if key not in self._by_key:
            every = self._anchored(anchor)
            self._by_key[key] = [obs for obs in every if obs.class_name in classes] if classes else every
        return self._by_key[key]

    def _anchored(self, anchor: str) -> list[Observation]:
        if anchor not in self._by_anchor:
            self._by_anchor[anchor] = self._confirmed(anchor)
        return self._by_anchor[anchor]

    def _confirmed(self, anchor: str) -> list[Observation]:
        """The confirmed tracks (tracker id >= 0), each as its anchor point."""
        detections = self._detections
        if detections.tracker_id is None or len(detections) == 0:
            return []
        names = detections.data.get(CLASS_NAME)
        names = names.tolist() if names is not None else [""] * len(detections)
        points = detections.get_anchors_coordinates(sv.Position(anchor)).tolist()
        return [Observation(tid, str(name), (point[0], point[1]))
                for tid, name, point in zip(detections.tracker_id.tolist(), names, points, strict=True) if tid >= 0]
