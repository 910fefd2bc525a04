"""What players fetch, with a viewing token (outputs.access), never a login:

    /streams/<id>/mjpeg          multipart/x-mixed-replace JPEGs: ?size=full|tile, ?fps= (a maximum)
    /streams/<id>/snapshot.jpg   the stream's next annotated frame as one JPEG (?size=full|tile)

Both take the JPEGs the worker encodes for the stream page (outputs.frames): no extra encoding. Async views: Daphne
serves them under ASGI, and Django cancels the response when the client goes away, so the generator's `finally`
unregisters the viewer at once (a viewer that vanished without that expires after streams.viewers.VIEWER_TTL_S).
"""

import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date
from django.views.decorators.http import require_GET

from accounts.access import PUBLIC
from outputs import access
from outputs.frames import FrameFeed
from streams import selectors as stream_selectors
from streams import viewers
from streams.models import Stream

BOUNDARY = "streamvision-frame"
RECHECK_S = viewers.REFRESH_S  # an open MJPEG connection re-reads its token this often: a revocation ends it
RAW_UNAVAILABLE = ("Raw frames are not available: the frame path publishes annotated JPEGs only "
                   "(see docs/outputs.md).")  # fmt: skip


class Pacer:
    """At most `fps` frames a second: frames arriving sooner are dropped (the newest one after a gap goes out)."""

    def __init__(self, fps: float | None) -> None:
        self.interval = 1.0 / fps if fps else 0.0
        self.next_at = 0.0

    def due(self, now: float) -> bool:
        if now < self.next_at - 0.1 * self.interval:  # a tenth of slack: a frame a hair early is not dropped
            return False
        self.next_at = max(self.next_at, now - self.interval) + self.interval
        return True


def output_params(request: HttpRequest, stream: Stream) -> tuple[viewers.Size, float | None]:
    """`size` and `fps` of the query, within the stream's limits; ValueError says what is wrong."""
    size = request.GET.get("size", "full")
    if size not in viewers.SIZES:
        raise ValueError(f"size must be one of {', '.join(viewers.SIZES)}")
    raw_fps = request.GET.get("fps", "").strip()
    if not raw_fps:
        return size, stream.max_fps  # type: ignore[return-value]
    try:
        fps = float(raw_fps)
    except ValueError:
        raise ValueError("fps must be a number") from None
    if not 0 < fps <= settings.OUTPUT_MJPEG_MAX_FPS:
        raise ValueError(f"fps must be above 0 and at most {settings.OUTPUT_MJPEG_MAX_FPS:g}")
    return size, min(fps, stream.max_fps or fps)  # type: ignore[return-value]


def _part(jpeg: bytes) -> bytes:
    head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
    return head + jpeg + b"\r\n"


async def mjpeg_parts(stream_id: int, size: viewers.Size, fps: float | None, token_id: int) -> AsyncIterator[bytes]:
    """One part per frame until the client leaves or the token is revoked. The feed opens only once the response
    is being sent, and closes (leaves the group, unregisters) however the loop ends, cancellation included."""
    feed, pacer = FrameFeed(stream_id, size), Pacer(fps)
    recheck_at = time.monotonic() + RECHECK_S
    try:
        await feed.open()
        while True:
            message = await feed.next_frame(timeout_s=RECHECK_S)
            if time.monotonic() >= recheck_at:
                if not await sync_to_async(access.token_still_valid)(token_id):
                    return
                recheck_at = time.monotonic() + RECHECK_S
            if message is not None and pacer.due(time.monotonic()):
                yield _part(message["jpeg"])
    finally:
        await feed.close()


@require_GET
async def stream_mjpeg(request: HttpRequest, pk: int) -> HttpResponse:
    verdict = await sync_to_async(access.token_check)(request, pk)
    if verdict.refusal is not None:
        return verdict.refusal
    stream = verdict.token.stream  # type: ignore[union-attr]
    try:
        size, fps = output_params(request, stream)
    except ValueError as error:
        return access.plain(400, str(error))
    if stream.desired_state == Stream.DesiredState.STOPPED:
        return access.plain(503, f"Stream {pk} is stopped: no picture until it is started.", Retry_After="10")
    response = StreamingHttpResponse(mjpeg_parts(pk, size, fps, verdict.token.pk),  # type: ignore[union-attr]
                                     content_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}")  # fmt: skip
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy that buffers would hold frames back
    return response


@require_GET
async def stream_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    verdict = await sync_to_async(access.token_check)(request, pk)
    if verdict.refusal is not None:
        return verdict.refusal
    if request.GET.get("raw") not in (None, "", "0"):
        return access.plain(501, RAW_UNAVAILABLE)
    stream = await sync_to_async(stream_selectors.stream_shown)(verdict.token.stream)  # type: ignore[union-attr]
    try:
        size, _ = output_params(request, stream)
    except ValueError as error:
        return access.plain(400, str(error))
    if stream.status != Stream.Status.RUNNING:
        return access.plain(503, f"Stream {pk} is {stream.status}: no picture now.", Retry_After="5")
    return await _one_frame(pk, size)


async def _one_frame(stream_id: int, size: viewers.Size) -> HttpResponse:
    """The next frame: within one frame interval if somebody watches, else once the worker sees this viewer
    (streams.viewers.WatchedSizes reads the viewers every half second)."""
    feed = FrameFeed(stream_id, size)
    try:
        await feed.open()
        message = await feed.next_frame(timeout_s=settings.OUTPUT_SNAPSHOT_WAIT_S)
    finally:
        await feed.close()
    if message is None:
        wait_s = f"{settings.OUTPUT_SNAPSHOT_WAIT_S:g}"
        return access.plain(503, f"No frame from stream {stream_id} within {wait_s} s; try again.", Retry_After="5")
    response = HttpResponse(message["jpeg"], content_type="image/jpeg")
    response["Cache-Control"] = "no-store"
    response["Last-Modified"] = http_date(message["captured_at"])
    return response


# Players present a viewing token (checked in each view), not a login: public as far as roles go.
stream_mjpeg.required_role = PUBLIC  # type: ignore[attr-defined]
stream_snapshot.required_role = PUBLIC  # type: ignore[attr-defined]
