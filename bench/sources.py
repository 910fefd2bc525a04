"""A looping video file for InferencePipeline that remembers when it grabbed each frame (for latency)."""

import time

import cv2
import numpy as np
from streamvision.camera.entities import SourceProperties, VideoFrameProducer


class LoopingVideo(VideoFrameProducer):
    """Unpaced (`fps=None`: every frame, as fast as it is consumed, like a file) or paced like a live camera."""

    def __init__(self, path: str, fps: float | None = None) -> None:
        self._path = path
        self._capture = cv2.VideoCapture(path)
        self._interval = 1.0 / fps if fps else 0.0
        self._next_due = time.monotonic()
        self.grabbed_at: dict[int, float] = {}  # frame number (from 1, as InferencePipeline counts) -> time.time()
        self._count = 0

    def isOpened(self) -> bool:  # noqa: N802 - streamvision's interface
        return self._capture.isOpened()

    def grab(self) -> bool:
        if self._interval:
            delay = self._next_due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_due = max(self._next_due + self._interval, time.monotonic())
        ok = self._capture.grab()
        if not ok:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok = self._capture.grab()
        self._count += 1
        self.grabbed_at[self._count] = time.time()
        self.grabbed_at.pop(self._count - 1000, None)
        return ok

    def retrieve(self) -> tuple[bool, np.ndarray]:
        return self._capture.retrieve()

    def release(self) -> None:
        self._capture.release()

    def discover_source_properties(self) -> SourceProperties:
        fps = self._capture.get(cv2.CAP_PROP_FPS) or 25.0
        return SourceProperties(
            width=int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            total_frames=-1,
            # A file is consumed without dropping frames; a paced source behaves as a camera (drops when slow).
            is_file=not self._interval,
            fps=1.0 / self._interval if self._interval else fps,
        )

    def connection_error_message(self) -> str:
        return f"cannot open video file {self._path}"
