"""Synthetic tracks for the pure tests of the counters: boxes placed by their bottom centre, one call per frame."""

import numpy as np
import supervision as sv

FRAME = (1000, 1000)  # width, height: the margin (1 % of the diagonal) is 14 px
FPS = 10.0
BOX_W, BOX_H = 40, 30


def frame(*objects: tuple[int, float, float] | tuple[int, float, float, str]) -> sv.Detections:
    """Detections for (tracker id, x, y[, class]) with (x, y) the box's bottom centre in pixels."""
    if not objects:
        empty = sv.Detections.empty()
        empty.tracker_id = np.array([], dtype=int)
        empty.data["class_name"] = np.array([], dtype=object)
        return empty
    xyxy = np.array([[x - BOX_W / 2, y - BOX_H, x + BOX_W / 2, y] for _, x, y, *_ in objects], dtype=np.float32)
    return sv.Detections(
        xyxy=xyxy,
        confidence=np.full(len(objects), 0.9, dtype=np.float32),
        class_id=np.zeros(len(objects), dtype=int),
        tracker_id=np.array([obj[0] for obj in objects], dtype=int),
        data={"class_name": np.array([obj[3] if len(obj) > 3 else "car" for obj in objects], dtype=object)},
    )


def run(counter, frames: list[sv.Detections], start: float = 100.0) -> list:
    """Feed `frames` at FPS; returns every frame's facts."""
    return [counter.update(detections, start + index / FPS, FRAME) for index, detections in enumerate(frames)]


def path(tracker_id: int, ys: list[float], x: float = 500.0, class_name: str = "car") -> list[sv.Detections]:
    """One object moving through the given bottom-centre heights, one frame each."""
    return [frame((tracker_id, x, y, class_name)) for y in ys]


def steps(start: float, end: float, count: int) -> list[float]:
    return list(np.linspace(start, end, count))
