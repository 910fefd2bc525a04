""""Test source": open a source once, with short timeouts, and return a JPEG snapshot or the exact error.

Camera URLs carry passwords: every message that leaves this module goes through redact_source.
"""

import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

import cv2
from django.conf import settings
from django.core.exceptions import ValidationError

from streams.sources import SourceRef, parse_source, redact_source

logger = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 4.0
SNAPSHOT_WIDTH = 640
_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
# One probe at a time per web process: a burst of clicks must not open a burst of camera connections.
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="source-probe")


@dataclass
class ProbeResult:
    ok: bool
    message: str
    jpeg: bytes = b""
    width: int = 0
    height: int = 0
    elapsed_ms: float = 0.0


def probe_source(raw: str, *, timeout_s: float = OPEN_TIMEOUT_S) -> ProbeResult:
    started = time.perf_counter()
    try:
        ref = parse_source(raw)
    except ValidationError as error:
        return ProbeResult(False, " ".join(error.messages))
    future = _pool.submit(_open_once, ref, timeout_s)
    try:
        result = future.result(timeout=timeout_s * 2 + 1)
    except FutureTimeout:
        result = ProbeResult(False, f"No answer from {redact_source(ref.value)} within {timeout_s * 2 + 1:.0f} s.")
    result.message = redact_source(result.message) if ref.kind != "network" else _scrub(result.message, ref.value)
    result.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.info("Probed %s: %s", redact_source(ref.value), result.message)
    return result


def _open_once(ref: SourceRef, timeout_s: float) -> ProbeResult:
    shown = redact_source(ref.value)
    if ref.kind == "network":
        unreachable = _tcp_error(ref.value, timeout_s)
        if unreachable:
            return ProbeResult(False, f"Cannot reach {shown}: {unreachable}")
    capture = _capture(ref, timeout_s)
    try:
        if not capture.isOpened():
            return ProbeResult(False, f"OpenCV could not open {shown} (reachable, but no video it can decode).")
        ok, image = capture.read()
        if not ok or image is None:
            return ProbeResult(False, f"{shown} opened, but no frame arrived within {timeout_s:.0f} s.")
    finally:
        capture.release()
    return _snapshot(image, shown)


def _capture(ref: SourceRef, timeout_s: float) -> cv2.VideoCapture:
    if ref.kind == "webcam":
        return cv2.VideoCapture(ref.webcam_index)
    # Keep TCP for RTSP: setting this variable at all drops OpenCV's TCP default.
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", settings.SOURCE_FFMPEG_OPTIONS)
    timeout_ms = int(timeout_s * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms]
    return cv2.VideoCapture(ref.value, cv2.CAP_FFMPEG, params)


def _snapshot(image, shown: str) -> ProbeResult:  # noqa: ANN001 - a BGR numpy image
    height, width = image.shape[:2]
    small = image
    if width > SNAPSHOT_WIDTH:
        size = (SNAPSHOT_WIDTH, round(height * SNAPSHOT_WIDTH / width))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        return ProbeResult(False, f"A frame arrived from {shown} but could not be encoded.")
    return ProbeResult(True, f"{shown} works: {width}×{height}.", buffer.tobytes(), width, height)


def _tcp_error(url: str, timeout_s: float) -> str:
    """Why the host cannot be reached ("" if it can): DNS failure, refused, timed out, … in the OS's words."""
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout_s):
            return ""
    except TimeoutError:
        return f"connection to port {port} timed out after {timeout_s:.0f} s"
    except OSError as error:
        return f"{error.strerror or error} (port {port})"


def _scrub(message: str, url: str) -> str:
    """Redact, and make sure the password cannot survive in any spelling OpenCV or the OS used."""
    message = message.replace(url, redact_source(url))
    password = urlsplit(url).password
    if password:
        message = message.replace(password, "***")
    return message
