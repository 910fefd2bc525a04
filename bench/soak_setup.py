"""What the soak asks of the product through its API: a webhook endpoint, the streams (each with tracking on, a
counting line and a line-crossed rule), the counts it reads each minute, and at the end the streams stopped and
the outbox drained before events raised are compared with events received."""

import time
import urllib.error
from dataclasses import dataclass
from pathlib import Path

from bench.soak_clients import WebhookCounter, wait_for
from testbed.live_stack import LiveStack

# The highway clip's counting line (tests/analytics/runtime/data/traffic_highway_line.json): across the
# middle of the picture, so the other clips' cars and people cross it too.
LINE = {"name": "across", "points": [[0.16, 0.5], [0.84, 0.5]], "in_side": "right", "anchor": "BOTTOM_CENTER"}


@dataclass(frozen=True)
class StreamSpec:
    name: str
    clip: str
    max_fps: float


def specs(count: int, clips: list[str], max_fps: float) -> list[StreamSpec]:
    """`count` streams over the clips in turn."""
    return [StreamSpec(f"soak-{i + 1}", clips[i % len(clips)], max_fps) for i in range(count)]


def call(stack: LiveStack, method: str, path: str, data: dict | None = None) -> object:
    """The answer's body; RuntimeError naming the call if it is not a 2xx."""
    response = stack.api(method, path, data)
    if not 200 <= response.status < 300:
        raise RuntimeError(f"{method} {path} answered {response.status}: {response.body}")
    return response.body


def create_endpoint(stack: LiveStack, receiver: WebhookCounter) -> int:
    """A webhook endpoint of every stream's event.new/update/end (allowed to a private address: the receiver is
    on 127.0.0.1)."""
    body = call(stack, "POST", "/api/webhooks/", {"name": "soak", "url": receiver.url, "allow_private": True})
    return int(body["id"])


def create_stream(stack: LiveStack, spec: StreamSpec, assets_dir: Path) -> int:
    """The stream, stopped, with tracking, the line and an either-way line-crossed rule; then started."""
    data = {"name": spec.name, "source": str(assets_dir / spec.clip), "max_fps": spec.max_fps, "start": False}
    stream_id = int(call(stack, "POST", "/api/streams/", data)["id"])
    call(stack, "PATCH", f"/api/streams/{stream_id}/analytics/", {"tracking": True})
    line_id = call(stack, "POST", f"/api/streams/{stream_id}/lines/", LINE)["id"]
    rule = {"stream": stream_id, "name": "crossing", "kind": "line_crossed", "line": line_id, "direction": "either"}
    call(stack, "POST", "/api/event-rules/", rule)
    call(stack, "POST", f"/api/streams/{stream_id}/start/")
    return stream_id


def events_raised(stack: LiveStack) -> int | None:
    """How many events the product has stored; None if the API did not answer in time (a loaded machine)."""
    try:
        return int(call(stack, "GET", "/api/events/?limit=1")["count"])
    except (OSError, RuntimeError, urllib.error.URLError):
        return None


def statuses(stack: LiveStack) -> dict[int, str]:
    try:
        body = call(stack, "GET", "/api/streams/")
    except (OSError, RuntimeError, urllib.error.URLError):
        return {}
    rows = body["results"] if isinstance(body, dict) else body
    return {int(row["id"]): row["status"] for row in rows}


def event_ids(stack: LiveStack) -> set[str]:
    """Every event's id, page by page."""
    found: set[str] = set()
    offset = 0
    while True:
        page = call(stack, "GET", f"/api/events/?limit=1000&offset={offset}")
        found |= {str(row["id"]) for row in page["results"]}
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            return found


def stop_and_drain(stack: LiveStack, stream_ids: list[int], receiver: WebhookCounter, endpoint_id: int) -> dict:
    """Stop every stream (no new events; the last ones end), wait until the endpoint has nothing pending and
    every event stored reached the receiver (at most two minutes), and compare."""
    started = time.monotonic()
    for stream_id in stream_ids:
        call(stack, "POST", f"/api/streams/{stream_id}/stop/")
    wait_for(lambda: all(s == "stopped" for s in statuses(stack).values()), timeout=90)
    raised = event_ids(stack)
    wait_for(lambda: not _pending(stack, endpoint_id) and raised <= receiver.received_events(), timeout=120)
    received = receiver.received_events()
    lost = sorted(raised - received)
    return {
        "raised": len(raised), "received": len(raised & received), "lost": len(lost), "lost_ids": lost[:20],
        "pending": _pending(stack, endpoint_id), "drain_s": round(time.monotonic() - started, 1),
        "requests": receiver.requests, "messages": len(receiver.message_ids), "types": dict(receiver.types),
    }  # fmt: skip


def _pending(stack: LiveStack, endpoint_id: int) -> int:
    try:
        return int(call(stack, "GET", f"/api/webhooks/{endpoint_id}/")["pending"])
    except (OSError, RuntimeError, urllib.error.URLError):
        return -1  # unknown: keep waiting
