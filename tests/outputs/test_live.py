"""Issue 22 (outputs, first slice) on the running product: Daphne, a Celery stream worker, the real Triton. A player
(ffmpeg) decodes the MJPEG of a stream analysing traffic_highway.mp4, the frames carry the worker's boxes, and the
stream has a viewer exactly while a client is connected."""

import asyncio
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest

from stack.processes import wait_until
from streams import viewers
from testbed.live_stack import run_async
from testbed.viewers import ViewerStats, viewer

pytestmark = pytest.mark.stack

# The worker's box and label colour of a car (supervision's default palette by class id, COCO "car" = 2), BGR.
CAR_BGR = np.array([160, 161, 255])


def _viewers(live_stack, stream_id: int) -> dict:
    return viewers.viewer_counts(stream_id=stream_id, client=live_stack.redis())


def car_colour(image: np.ndarray) -> np.ndarray:
    """Where the image has the car overlay's pink (a red car of the clip has some too, inside its box)."""
    pixels = image.astype(int)
    red_over_green = pixels[..., 2] - pixels[..., 1]  # unlike the clip's greys and whites
    return (np.abs(pixels - CAR_BGR).max(axis=2) < 45) & (red_over_green > 50)


def overlay_near_cars(image: np.ndarray, detector) -> tuple[int, int]:  # noqa: ANN001 - a Detector
    """(pixels of the car colour, of them those on the top edge of a vehicle found in the image or in the band above
    it): where the worker draws a car's box and label, and where a car's own paint is not (a red car of the clip
    gives none there; checked on 30 of its frames). Vehicles are looked for well under the stream's threshold and
    in any class: with a label over its roof, a car may come back as a truck or a train."""
    (found,) = detector.detect([image], confidence=0.1, iou=0.45)
    colour = car_colour(image)
    near = np.zeros_like(colour)
    for x1, y1, x2, _ in found.xyxy.astype(int):
        near[max(0, y1 - 30): y1 + 4, max(0, x1 - 10): x2 + 10] = True
    return int(colour.sum()), int((colour & near).sum())


def _open_and_read(url: str, parts: int) -> socket.socket:
    """An MJPEG client on a plain socket: sends the request, reads until `parts` frames arrived, stays open."""
    where = urlsplit(url)
    sock = socket.create_connection((where.hostname, where.port), timeout=20)
    sock.sendall(f"GET {where.path}?{where.query} HTTP/1.1\r\nHost: {where.netloc}\r\n\r\n".encode())
    received = b""
    while received.count(b"Content-Type: image/jpeg") < parts:
        chunk = sock.recv(1 << 16)
        assert chunk, received[:300]
        received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    return sock


def test_ffmpeg_decodes_annotated_mjpeg_and_the_viewer_count_follows_the_client(live_stack, triton_url, tmp_path):
    """GIVEN the running product analysing traffic_highway.mp4 and a viewing token made through the API
    WHEN ffmpeg reads /streams/<id>/mjpeg?token=… as -f mpjpeg for 10 frames (2 s)
    THEN it decodes 10 full-size JPEGs with the worker's car boxes and labels on the cars; the still image
    is a JPEG too; a request without a token is a 401 challenge; and a plain client holding the MJPEG open is the
    stream's one viewer, gone within seconds of closing its connection (not after the registration's TTL)."""
    from workers.inference.detector import Detector

    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    stream = live_stack.api("POST", "/api/streams/", {"name": "outputs-live", "source": source, "max_fps": 5}).body
    sid = stream["id"]
    try:
        live_stack.wait_for_status(sid, "running", timeout=120)
        created = live_stack.api("POST", f"/api/streams/{sid}/viewing-tokens/", {"name": "ffmpeg"})
        assert created.status == 201, created.body
        secret, mjpeg = created.body["token"], created.body["urls"]["mjpeg"]
        assert mjpeg == f"{live_stack.url}/streams/{sid}/mjpeg?token={secret}"
        _refused_without_token(live_stack, sid)
        frames = _ffmpeg_frames(mjpeg, tmp_path)
        assert len(frames) == 10 and all(frame.shape == (720, 1280, 3) for frame in frames)
        detector = Detector.init(url=triton_url, model_name="yolo", timeout_s=10)
        try:
            found = [overlay_near_cars(frame, detector) for frame in frames]
        finally:
            detector.close()
        near_cars = sum(near for _, near in found)
        assert near_cars > 200, found  # the worker's car boxes and labels, where cars are (the clip alone: 0)
        with urllib.request.urlopen(created.body["urls"]["snapshot"], timeout=20) as response:
            still = cv2.imdecode(np.frombuffer(response.read(), np.uint8), cv2.IMREAD_COLOR)
        assert response.headers["Content-Type"] == "image/jpeg" and still.shape == (720, 1280, 3)
        _viewer_follows_the_client(live_stack, sid, mjpeg)
    finally:
        live_stack.api("DELETE", f"/api/streams/{sid}/")


def _refused_without_token(live_stack, sid: int) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{live_stack.url}/streams/{sid}/mjpeg", timeout=10)
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"] == f'Basic realm="StreamVision stream {sid}"'


def _ffmpeg_frames(mjpeg: str, tmp_path: Path) -> list[np.ndarray]:
    out = tmp_path / "out%d.jpg"
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "mpjpeg", "-i", mjpeg, "-frames:v", "10", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    return [cv2.imread(str(path)) for path in sorted(tmp_path.glob("out*.jpg"))]


def _viewer_follows_the_client(live_stack, sid: int, mjpeg: str) -> None:
    wait_until(lambda: _viewers(live_stack, sid)["full"] == 0, timeout=10, what="ffmpeg's viewer to go")
    sock = _open_and_read(mjpeg, parts=2)
    try:
        assert _viewers(live_stack, sid) == {"full": 1, "tile": 0}
        ws_frames, mjpeg_parts = _side_by_side(live_stack, sid, sock)
    finally:
        sock.close()
    wait_until(lambda: _viewers(live_stack, sid)["full"] == 0, timeout=5, what="the closed client's viewer to go")
    # 5 fps for 3 s: both keep up (the MJPEG feed shares the process's channel-layer reader with the sockets).
    assert ws_frames >= 6 and mjpeg_parts >= 6, (ws_frames, mjpeg_parts)


def _side_by_side(live_stack, sid: int, sock: socket.socket) -> tuple[int, int]:
    """The stream page's socket and the MJPEG client for 3 s in the same Daphne: frames each got."""
    stats, parts = ViewerStats(), [0]

    def read_mjpeg() -> None:
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            parts[0] += sock.recv(1 << 16).count(b"Content-Type: image/jpeg")

    async def watch() -> None:
        stop = asyncio.Event()
        headers = {"Cookie": live_stack.session_cookie(), "Origin": live_stack.url}
        task = asyncio.create_task(viewer(f"{live_stack.ws_base}/ws/streams/{sid}/?size=full", headers, stop, stats))
        await asyncio.sleep(3.0)
        stop.set()
        await task

    reader = threading.Thread(target=read_mjpeg)
    reader.start()
    run_async(watch())
    reader.join()
    return stats.frames, parts[0]
