"""The live counters a stream's worker sends to web consumers about once a second (over the channel layer,
to the stream's group `streams.messages.stream_group`). The consumer forwards them as {"type": "analytics"}.
"""

from typing import Literal, TypedDict


class LineLive(TypedDict):
    id: int
    name: str
    counts: dict[str, dict[str, int]]  # "in" / "out" -> class name -> total since the last reset


class ZoneLive(TypedDict):
    id: int
    name: str
    occupancy: dict[str, int]  # class name -> tracked objects inside now
    counts: dict[str, dict[str, int]]  # "enter" / "exit" -> class name -> total since the last reset
    longest_dwell_s: float  # how long the object inside longest has been inside; 0 when empty


class AnalyticsMessage(TypedDict):
    type: Literal["stream.analytics"]
    stream_id: int
    at: float  # unix time of the message
    origin: str  # the lease holder that sent it
    tracking: bool
    tracking_fps: float  # frames per second the tracker was fed over the last window
    tracking_fps_low: bool  # under settings.ANALYTICS_MIN_TRACKING_FPS: tracks break, counts are unreliable
    lines: list[LineLive]
    zones: list[ZoneLive]
