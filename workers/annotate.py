"""Draws detections on a frame and encodes it as JPEG."""

import cv2
import numpy as np
import supervision as sv


class FrameAnnotator:
    def __init__(self, box: sv.BoxAnnotator, label: sv.LabelAnnotator, jpeg_quality: int) -> None:
        self._box = box
        self._label = label
        self._jpeg_params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]

    @classmethod
    def init(cls, *, jpeg_quality: int = 75) -> "FrameAnnotator":
        return cls(
            box=sv.BoxAnnotator(thickness=2),
            label=sv.LabelAnnotator(text_scale=0.5, text_padding=4, smart_position=False),
            jpeg_quality=jpeg_quality,
        )

    def annotate(self, image: np.ndarray, detections: sv.Detections) -> np.ndarray:
        """A copy of `image` with boxes and "class confidence" labels."""
        canvas = image.copy()
        if len(detections) == 0:
            return canvas
        labels = [
            f"{name} {conf:.2f}"
            for name, conf in zip(detections.data.get("class_name", []), detections.confidence, strict=False)
        ]
        canvas = self._box.annotate(canvas, detections)
        return self._label.annotate(canvas, detections, labels=labels)

    def encode(self, image: np.ndarray) -> bytes:
        ok, buf = cv2.imencode(".jpg", image, self._jpeg_params)
        if not ok:
            raise ValueError("JPEG encoding failed")
        return buf.tobytes()
