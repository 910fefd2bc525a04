"""What a zone or line counter remembers of each track, and how it survives a tracker's id switch.

A tracker sometimes loses an object for a frame or two and picks it up again under a new id. Counting each
id from scratch would then miss a crossing that was under way (the new id has no side yet) or count an
object twice (a second entry into a zone). So a state whose track vanished a moment ago is handed to a new
id that appears close to where the old one was last seen, with the same class; a state unseen for longer
than `forget_s` is forgotten (and returned, so that a zone can count the exit).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

StateT = TypeVar("StateT")
Point = tuple[float, float]


@dataclass(frozen=True)
class Observation:
    """One confirmed track in one frame, as a counter sees it: the point of its box that counts."""

    tracker_id: int
    class_name: str
    point: Point  # the counter's anchor of the box, in pixels


@dataclass
class Remembered(Generic[StateT]):
    state: StateT
    class_name: str
    last_seen: float
    last_point: Point


class TrackMemory(Generic[StateT]):
    def __init__(self, *, forget_s: float, heal_s: float) -> None:
        self.forget_s = forget_s
        self.heal_s = heal_s
        self._known: dict[int, Remembered[StateT]] = {}

    def __len__(self) -> int:
        return len(self._known)

    def recall(self, obs: Observation, at: float, present: set[int], heal_px: float) -> StateT | None:
        """The track's state; for a new id, the state of a nearby track of the same class that vanished within
        `heal_s` (moved to the new id); None if there is neither."""
        found = self._known.get(obs.tracker_id)
        if found is not None:
            return found.state
        heir = self._nearest_vanished(obs, at, present, heal_px)
        if heir is None:
            return None
        return self._known.pop(heir).state

    def keep(self, obs: Observation, at: float, state: StateT) -> None:
        known = self._known.get(obs.tracker_id)
        if known is None or known.state is not state:
            self._known[obs.tracker_id] = Remembered(state, obs.class_name, at, obs.point)
            return
        known.class_name, known.last_seen, known.last_point = obs.class_name, at, obs.point

    def forget_stale(self, at: float) -> list[tuple[int, Remembered[StateT]]]:
        """Remove and return the tracks unseen for more than forget_s."""
        stale = [(tid, known) for tid, known in self._known.items() if at - known.last_seen > self.forget_s]
        for tracker_id, _ in stale:
            del self._known[tracker_id]
        return stale

    def items(self) -> Iterable[tuple[int, Remembered[StateT]]]:
        return self._known.items()

    def _nearest_vanished(self, obs: Observation, at: float, present: set[int], heal_px: float) -> int | None:
        best, best_d2 = None, heal_px * heal_px
        for tracker_id, known in self._known.items():
            if tracker_id in present or known.class_name != obs.class_name or at - known.last_seen > self.heal_s:
                continue
            d2 = (known.last_point[0] - obs.point[0]) ** 2 + (known.last_point[1] - obs.point[1]) ** 2
            if d2 <= best_d2:
                best, best_d2 = tracker_id, d2
        return best
