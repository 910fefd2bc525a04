"""Frames in, supervision Detections out: letterbox -> Triton (decode + NMS on the server when the model does
it, here otherwise) -> source pixels. The worker, the tests and the benchmarks share it."""

import logging
from collections.abc import Sequence
from typing import Self

import numpy as np
import supervision as sv

from workers.triton import TritonModel
from workers.yolo import Boxes, decode_output, letterbox, to_source

logger = logging.getLogger(__name__)


class Detector:
    """YOLO detection on a Triton-served model; safe to share between threads (see TritonModel)."""

    def __init__(self, *, model: TritonModel) -> None:
        self._model = model
        self._names = np.asarray(model.class_names)
        self._index = {name: i for i, name in enumerate(model.class_names)}

    @classmethod
    def init(cls, *, url: str, model_name: str, timeout_s: float = 10.0, transport: str = "auto") -> Self:
        """`transport`: "auto" (shared memory when Triton shares this host, else HTTP), "shm" or "http"."""
        return cls(model=TritonModel.init(url=url, model_name=model_name, timeout_s=timeout_s, transport=transport))

    @property
    def class_names(self) -> list[str]:
        return self._model.class_names

    @property
    def model(self) -> TritonModel:
        return self._model

    def detect(
        self,
        images_bgr: list[np.ndarray],
        *,
        confidence: float,
        iou: float,
        classes: Sequence[str] | None = None,
    ) -> list[sv.Detections]:
        """One Detections per BGR image, in source pixels; one Triton request per max_batch_size images.

        `classes`: keep only these class names (None keeps all; names the model lacks are ignored).
        """
        if not images_bgr:
            return []
        boxed = [letterbox(image, self._model.input_size) for image in images_bgr]
        mask = self.class_mask(classes)
        outputs = self._model.infer(
            np.stack([pixels for pixels, _ in boxed]), confidence=confidence, iou=iou, class_mask=mask
        )
        # A server-side model filtered already; applying the same filter again is cheap and keeps a user's
        # NMS-exported model (which knows no thresholds) right.
        layout = self._model.layout
        return [
            self._detections(to_source(decode_output(output, layout=layout, confidence=confidence, iou=iou,
                                                     class_mask=mask), box))
            for output, (_, box) in zip(outputs, boxed, strict=True)
        ]  # fmt: skip

    def class_mask(self, classes: Sequence[str] | None) -> np.ndarray | None:
        if classes is None:
            return None
        mask = np.zeros(len(self._names), bool)
        for name in classes:
            if name in self._index:
                mask[self._index[name]] = True
        return mask

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
