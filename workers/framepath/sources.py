"""Turns a stream's source string into what InferencePipeline opens.

Files are played like live cameras, paced at their own frame rate and looped, so a demo stream shows on the wall
in real time like the RTSP feeds it stands in for. One difference, on purpose: when inference is slower than the
file, a camera's frames are dropped (it does not wait for us), while a file waits, so every frame of a recording
is analysed (counts lose nothing) and no CPU goes to decoding frames that would be thrown away. `max_fps` still
samples a file in real time, as it does a camera.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from streamvision.camera.buffer_strategies import BufferConsumptionStrategy, BufferFillingStrategy
from streamvision.camera.entities import SourceProperties, VideoFrameProducer

from streams.sources import parse_source

logger = logging.getLogger(__name__)

VideoReference = str | int | Callable[[], VideoFrameProducer]


# A file waits in a short queue: one frame decoded ahead of the one in inference keeps both busy, and a longer
# queue would only add its length to the latency shown.
FILE_DECODING_BUFFER = 2


class LoopingFileProducer(VideoFrameProducer):
    """A video file that never ends and delivers frames no faster than its declared fps."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._capture = cv2.VideoCapture(path)
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self._frame_interval = 1.0 / fps if 0 < fps < 240 else 1.0 / 25
        self._next_due = time.monotonic()

    def isOpened(self) -> bool:  # noqa: N802 - streamvision's interface
        return self._capture.isOpened()

    def grab(self) -> bool:
        delay = self._next_due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        # After a stall, resynchronise instead of bursting to catch up.
        self._next_due = max(self._next_due + self._frame_interval, time.monotonic())
        if self._capture.grab():
            return True
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        return self._capture.grab()

    def retrieve(self) -> tuple[bool, np.ndarray]:
        return self._capture.retrieve()

    def release(self) -> None:
        self._capture.release()

    def discover_source_properties(self) -> SourceProperties:
        return SourceProperties(
            width=int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            total_frames=-1,
            is_file=False,
            fps=1.0 / self._frame_interval,
        )

    def connection_error_message(self) -> str:
        return f"cannot open video file {self._path}"


def video_reference(source: str) -> VideoReference:
    """The object InferencePipeline should open for a stored source string."""
    ref = parse_source(source)
    if ref.kind == "webcam":
        return ref.webcam_index
    if ref.kind == "file":
        return lambda: LoopingFileProducer(ref.value)
    return ref.value


def source_buffering(source: str) -> dict[str, Any]:
    """InferencePipeline's buffer options for a stored source string: a file waits for the pipeline (nothing
    dropped, nothing decoded in vain); a camera keeps streamvision's live defaults (drop the oldest frame)."""
    if parse_source(source).kind != "file":
        return {}
    return {
        "source_buffer_filling_strategy": BufferFillingStrategy.WAIT,
        "source_buffer_consumption_strategy": BufferConsumptionStrategy.LAZY,
        "decoding_buffer_size": FILE_DECODING_BUFFER,
    }
