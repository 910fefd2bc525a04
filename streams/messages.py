"""Messages between stream workers and the web consumers (over the channel layer).

The `type` of each message names the consumer handler (dots become underscores).
"""

from typing import Literal, TypedDict


class FrameMessage(TypedDict):
    type: Literal["stream.frame"]
    stream_id: int
    jpeg: bytes
    frame_id: int
    captured_at: float  # unix time the frame was grabbed
    origin: str  # the lease holder that produced it: two origins at once would mean two pipelines
    size: str  # "full" or "tile" (streams.viewers.SIZES): each size is encoded once, for all its viewers


class MetricsMessage(TypedDict):
    type: Literal["stream.metrics"]
    stream_id: int
    at: float  # unix time of the sample (the charts' x axis, live and from streams.metrics_history)
    fps: float  # frames processed per second, over the last window
    inference_ms: float  # mean Triton round trip (letterbox to decoded boxes) over the window
    detections: dict[str, int]  # class name -> count in the latest frame
    frames_total: int
    inference_errors: int
    last_error: str
    origin: str


class StatusMessage(TypedDict):
    type: Literal["stream.status"]
    stream_id: int
    status: str
    reason: str
    desired_state: str
    retry_in_s: float | None  # a failed stream waiting for its next automatic retry


class StreamsChangedMessage(TypedDict):
    """To the STREAMS_GROUP: a stream was created, changed (settings or status) or deleted."""

    type: Literal["streams.changed"]
    stream_id: int
    change: Literal["created", "updated", "deleted"]


STREAMS_GROUP = "streams"


def stream_group(stream_id: int) -> str:
    """The channel-layer group that carries one stream's frames, metrics and status."""
    return f"stream-{stream_id}"
