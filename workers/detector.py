"""Frames in, supervision Detections out: letterbox -> Triton -> decode/NMS. The worker and the tests share it."""

import logging
from typing import Self

import numpy as np
import supervision as sv

from workers.triton import TritonModel
from workers.yolo import Boxes, decode, letterbox

logger = logging.getLogger(__name__)


class Detector:
    """YOLO detection on a Triton-served model; safe to share between threads (see TritonModel)."""

    def __init__(self, *, model: TritonModel) -> None:
        self._model = model
        self._names = np.asarray(model.class_names)

    @classmethod
    def init(cls, *, url: str, model_name: str, timeout_s: float = 10.0) -> Self:
        return cls(model=TritonModel.init(url=url, model_name=model_name, timeout_s=timeout_s))

    @property
    def class_names(self) -> list[str]:
        return self._model.class_names

    def detect(self, images_bgr: list[np.ndarray], *, confidence: float, iou: float) -> list[sv.Detections]:
        """One Detections per BGR image, in source pixels; one Triton request per max_batch_size images."""
        if not images_bgr:
            return []
        boxed = [letterbox(image, self._model.input_size) for image in images_bgr]
        raw = self._model.infer(np.stack([pixels for pixels, _ in boxed]))
        return [
            self._detections(decode(output, letterbox=box, confidence=confidence, iou=iou))
            for output, (_, box) in zip(raw, boxed, strict=True)
        ]

    def close(self) -> None:
        self._model.close()

    def _detections(self, boxes: Boxes) -> sv.Detections:
        # Empty results carry the same fields, so consumers never special-case them.
        return sv.Detections(
            xyxy=boxes.xyxy,
            confidence=boxes.confidence,
            class_id=boxes.class_id,
            data={"class_name": self._class_name_array(boxes.class_id)},
        )

    def _class_name_array(self, class_ids: np.ndarray) -> np.ndarray:
        if class_ids.size == 0 or class_ids.max() < len(self._names):
            return self._names[class_ids] if self._names.size else np.array([], dtype=str)
        # A config listing fewer names than the model has classes still names every box.
        return np.array([self._names[i] if i < len(self._names) else f"class{i}" for i in class_ids])
