"""Draws detections on a frame and encodes it as JPEG."""

import cv2
import numpy as np
import supervision as sv


class FrameAnnotator:
    def __init__(self, jpeg_quality: int) -> None:
        self._jpeg_params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
        # Box and label sizes follow the frame size, so labels stay readable from 480p to 4K.
        self._by_resolution: dict[tuple[int, int], tuple[sv.BoxAnnotator, sv.LabelAnnotator]] = {}

    @classmethod
    def init(cls, *, jpeg_quality: int = 75) -> "FrameAnnotator":
        return cls(jpeg_quality=jpeg_quality)

    def annotate(self, image: np.ndarray, detections: sv.Detections) -> np.ndarray:
        """A copy of `image` with boxes and "class confidence" labels ("#id class confidence" once tracked)."""
        canvas = image.copy()
        if len(detections) == 0:
            return canvas
        box, label = self._annotators(canvas.shape[1], canvas.shape[0])
        ids = detections.tracker_id if detections.tracker_id is not None else [-1] * len(detections)
        labels = [
            f"#{tid} {name} {conf:.2f}" if tid >= 0 else f"{name} {conf:.2f}"
            for name, conf, tid in zip(detections.data.get("class_name", []), detections.confidence, ids, strict=False)
        ]
        canvas = box.annotate(canvas, detections)
        return label.annotate(canvas, detections, labels=labels)

    def encode(self, image: np.ndarray) -> bytes:
        ok, buf = cv2.imencode(".jpg", image, self._jpeg_params)
        if not ok:
            raise ValueError("JPEG encoding failed")
        return buf.tobytes()

    @staticmethod
    def scale_to_width(image: np.ndarray, width: int) -> np.ndarray:
        """`image` shrunk to `width` (aspect kept) for wall tiles; never enlarged."""
        height, current = image.shape[:2]
        if current <= width:
            return image
        size = (width, max(1, round(height * width / current)))
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)

    def _annotators(self, width: int, height: int) -> tuple[sv.BoxAnnotator, sv.LabelAnnotator]:
        key = (width, height)
        if key not in self._by_resolution:
            scale = sv.calculate_optimal_text_scale(key) * 0.6
            thickness = max(1, sv.calculate_optimal_line_thickness(key) // 2)
            self._by_resolution[key] = (
                sv.BoxAnnotator(thickness=thickness),
                sv.LabelAnnotator(text_scale=scale, text_thickness=thickness, text_padding=4, smart_position=False),
            )
        return self._by_resolution[key]
