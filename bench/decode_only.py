"""The floor for CPU per frame: decoding the clip with OpenCV and nothing else."""

import time

import cv2

from bench.probes import cpu_seconds


def decode_only(video: str, frames: int) -> dict:
    capture = cv2.VideoCapture(video)
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    cpu, wall, done = cpu_seconds(), time.monotonic(), 0
    try:
        while done < frames:
            ok, _ = capture.read()
            if not ok:
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                continue
            done += 1
    finally:
        capture.release()
    return {
        "resolution": f"{width}x{height}",
        "cpu_ms_per_frame": (cpu_seconds() - cpu) * 1000 / done,
        "fps": done / (time.monotonic() - wall),
    }
