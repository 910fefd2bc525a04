"""What the analytics analysers found in one frame, as `ctx.facts[...]` carries it to later stages (events,
rules) and to the counters. Frozen: a stage reads them, never changes them.

    ctx.facts[TRACKS] -> TrackFacts                 the tracker's confirmed tracks in this frame
    ctx.facts[LINES]  -> Mapping[int, LineFacts]    per line id: the crossings completed in this frame
    ctx.facts[ZONES]  -> Mapping[int, ZoneFacts]    per zone id: who is inside now, who entered or left

Times are unix seconds of the frame's capture (ctx.at); ids are database ids of analytics.Zone / analytics.Line.
TRACKS is absent while tracking is off; LINES and ZONES are always there (empty mappings for a stream without
lines or zones; with tracking off nothing crosses or enters).
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

TRACKS = "tracker"
LINES = "lines"
ZONES = "zones"


@dataclass(frozen=True)
class Track:
    """A detection the tracker has confirmed (detections with tracker id -1 are never facts)."""

    tracker_id: int
    class_name: str  # the class the track was seen as most often, so it does not flicker between frames
    xyxy: tuple[float, float, float, float]  # pixels of this frame


@dataclass(frozen=True)
class TrackFacts:
    tracks: tuple[Track, ...]
    unconfirmed: int  # detections not (yet) confirmed by the tracker in this frame
    fps: float  # the processed frame rate the tracker is tuned to; 0 while it is still measuring it


@dataclass(frozen=True)
class LineCrossing:
    line_id: int
    line_name: str
    tracker_id: int
    class_name: str
    direction: Literal["in", "out"]  # "in": towards the line's in side
    at: float


@dataclass(frozen=True)
class LineFacts:
    line_id: int
    name: str
    crossings: tuple[LineCrossing, ...]  # completed in this frame (after the hysteresis confirmed them)


@dataclass(frozen=True)
class ZoneMember:
    tracker_id: int
    class_name: str
    entered_at: float
    dwell_s: float  # time inside so far


@dataclass(frozen=True)
class ZoneTransition:
    zone_id: int
    zone_name: str
    tracker_id: int
    class_name: str
    kind: Literal["enter", "exit"]
    at: float
    dwell_s: float  # for an exit: the time it spent inside; 0 for an entry


@dataclass(frozen=True)
class ZoneFacts:
    zone_id: int
    name: str
    members: tuple[ZoneMember, ...]  # inside now
    transitions: tuple[ZoneTransition, ...]  # entries and exits completed in this frame

    @property
    def occupancy(self) -> Mapping[str, int]:
        """Class name -> objects inside now."""
        return Counter(member.class_name for member in self.members)

    @property
    def longest_dwell_s(self) -> float:
        return max((member.dwell_s for member in self.members), default=0.0)
