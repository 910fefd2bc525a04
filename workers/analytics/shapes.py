"""What a zone or line counter is built from (a database row, read by workers/analytics/live.py) and what
every counter does alike: turn a frame's tracked detections into the observations it counts.

Counters are pure state machines: fed detections (with tracker ids), the capture time and the frame size, they
return the frame's facts. They never touch the database, Redis or the clock, so tests drive them directly.
"""

from dataclasses import dataclass

import numpy as np
import supervision as sv

from workers.analytics.memory import Observation, TrackMemory

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

    def redefine(self, definition: ShapeDefinition) -> None:
        """A new shape, name, classes or anchor from the next frame on; what it remembers of tracks stays."""
        self.definition = definition

    def observations(self, detections: sv.Detections, definition: ShapeDefinition) -> list[Observation]:
        """The confirmed tracks (tracker id >= 0) of the counted classes, each as its anchor point."""
        ids = detections.tracker_id
        if ids is None or len(detections) == 0:
            return []
        names = detections.data.get(CLASS_NAME)
        names = names if names is not None else np.full(len(detections), "", dtype=object)
        points = detections.get_anchors_coordinates(sv.Position(definition.anchor))
        classes = definition.classes
        return [
            Observation(int(tid), str(name), (float(point[0]), float(point[1])))
            for tid, name, point in zip(ids, names, points, strict=True)
            if tid >= 0 and (not classes or str(name) in classes)
        ]
