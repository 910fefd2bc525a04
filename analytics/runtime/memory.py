"""What a zone or line counter remembers of each track, and how it survives a tracker's id switch.

A tracker sometimes loses an object for a few frames (a missed detection, frames dropped by a slow stream)
and picks it up again under a new id. Counting each id from scratch would then miss a crossing that was under
way (the new id has no side yet) or count an object twice (a second entry into a zone). So a state whose track
vanished at most `heal_s` ago is handed to a new id of the same class that appears on the way the old one was
going (on the highway clip, frames dropped in bursts of 0.4 s at 25 fps made cars reappear 500 px further down
the road, 150 px to the side of where their speed said; _heal_score). A state unseen for longer than
`forget_s` is forgotten (and returned, so that a zone can count the exit).
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
    velocity: Point = (0.0, 0.0)  # pixels per second, smoothed

    def moved_to(self, point: Point, at: float) -> None:
        elapsed = at - self.last_seen
        if elapsed > 0:
            step = ((point[0] - self.last_point[0]) / elapsed, (point[1] - self.last_point[1]) / elapsed)
            old = self.velocity
            self.velocity = step if old == (0.0, 0.0) else ((old[0] + step[0]) / 2, (old[1] + step[1]) / 2)
        self.last_seen, self.last_point = at, point


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
        self._known[obs.tracker_id] = self._known.pop(heir)  # keeps its speed; keep() updates it in place
        return self._known[obs.tracker_id].state

    def keep(self, obs: Observation, at: float, state: StateT) -> None:
        known = self._known.get(obs.tracker_id)
        if known is None or known.state is not state:
            self._known[obs.tracker_id] = Remembered(state, obs.class_name, at, obs.point)
            return
        known.class_name = obs.class_name
        known.moved_to(obs.point, at)

    def forget_stale(self, at: float) -> list[tuple[int, Remembered[StateT]]]:
        """Remove and return the tracks unseen for more than forget_s."""
        stale = [(tid, known) for tid, known in self._known.items() if at - known.last_seen > self.forget_s]
        for tracker_id, _ in stale:
            del self._known[tracker_id]
        return stale

    def items(self) -> Iterable[tuple[int, Remembered[StateT]]]:
        return self._known.items()

    def _nearest_vanished(self, obs: Observation, at: float, present: set[int], heal_px: float) -> int | None:
        best, best_score = None, 2.0
        for tracker_id, known in self._known.items():
            if tracker_id in present or known.class_name != obs.class_name or at - known.last_seen > self.heal_s:
                continue
            score = _heal_score(known, obs.point, at, heal_px)
            if score < best_score:
                best, best_score = tracker_id, score
        return best


def _heal_score(known: Remembered, point: Point, at: float, heal_px: float) -> float:
    """How far `point` is from where the vanished track would be now, 0 (there) to 2 (too far): objects keep
    their direction, and may have moved up to twice as far as their speed says (they accelerate in the picture
    as they come closer), give or take `heal_px` across their way and a quarter of the expected way."""
    elapsed = at - known.last_seen
    way = (known.velocity[0] * elapsed, known.velocity[1] * elapsed)
    length = (way[0] ** 2 + way[1] ** 2) ** 0.5
    moved = (point[0] - known.last_point[0], point[1] - known.last_point[1])
    if length < 1e-6:
        off = (moved[0] ** 2 + moved[1] ** 2) ** 0.5
        return off / heal_px if off <= heal_px else 2.0
    along = (moved[0] * way[0] + moved[1] * way[1]) / length
    across = abs(moved[0] * way[1] - moved[1] * way[0]) / length
    across_limit = heal_px + length / 4
    if across > across_limit or not (-heal_px <= along <= 2 * length + heal_px):
        return 2.0
    return across / across_limit + abs(along - length) / (length + heal_px)
