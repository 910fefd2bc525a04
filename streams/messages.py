"""Messages of the streams app, in both directions.

Worker -> web consumers (over the channel layer): the `type` of each names the consumer handler (dots become
underscores). Web consumer <-> browser (over the WebSocket, JSON; frames themselves are binary JPEG): the
`Browser*` messages, the only ones dashboard/static/js/common.js and stream.js send and read for a stream.
"""

from typing import TYPE_CHECKING, Literal, TypedDict

if TYPE_CHECKING:
    from streams.models import Stream


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


class StatusShown(TypedDict):
    """A stream's status as every surface shows it: the stream page, the wall, MQTT's retained state."""

    status: str
    reason: str
    desired_state: str
    retry_in_s: float | None  # a failed stream waiting for its next automatic retry


STATUS_SHOWN_KEYS = tuple(StatusShown.__annotations__)


def status_shown(stream: "Stream") -> StatusShown:
    """The one way a stream's status is put in a message (pass it through streams.selectors.stream_shown)."""
    return StatusShown(status=stream.status, reason=stream.status_reason, desired_state=stream.desired_state,
                       retry_in_s=getattr(stream, "retry_in_s", None))


class StatusMessage(StatusShown):
    type: Literal["stream.status"]
    stream_id: int


class StreamsChangedMessage(TypedDict):
    """To the STREAMS_GROUP: a stream was created, changed (settings or status) or deleted."""

    type: Literal["streams.changed"]
    stream_id: int
    change: Literal["created", "updated", "deleted"]


STREAMS_GROUP = "streams"


def stream_group(stream_id: int) -> str:
    """The channel-layer group that carries one stream's frames, metrics and status."""
    return f"stream-{stream_id}"


# --- Web consumer <-> browser ----------------------------------------------------------------------------------
class BrowserAckMessage(TypedDict):
    """Browser -> /ws/streams/<id>/: ready for the next frame (the consumer sends one only after this)."""

    type: Literal["ack"]


class BrowserFramesMessage(TypedDict):
    """Browser -> /ws/streams/<id>/: frames on or off (a tile scrolled away, a hidden tab); metrics keep coming."""

    type: Literal["frames"]
    on: bool


class BrowserStatusMessage(StatusShown):
    """/ws/streams/<id>/ -> browser, on connect and on every change."""

    type: Literal["status"]


class BrowserChangedMessage(TypedDict):
    """/ws/streams/ -> the wall: a stream appeared, changed or disappeared."""

    type: Literal["changed"]
    stream_id: int
    change: Literal["created", "updated", "deleted"]
