"""Pre- and post-processing around any YOLO model with an `infer(batch)`: BGR frames in, Detections out.

    frames (BGR, any size) ─prepare─▶ letterboxed uint8 RGB batch ─model.infer─▶ one output per image
        ─decode + NMS (raw layouts; a no-op filter for server-side rows)─▶ boxes in model-input pixels
        ─to_source─▶ source pixels ─▶ supervision.Detections with a `class_name` field

Pure: no I/O. The model behind `infer` is what differs: Triton (workers/inference/client.py, the product and the
benchmark's pipelines) or ONNX Runtime in-process (bench/ort_model.py, the peer baseline). Letterboxing
matches Ultralytics (pad 114 centred, INTER_LINEAR, odd remainder right/bottom).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import supervision as sv

from yolo_triton.contract import YOLOV8, ModelSpec
from yolo_triton.decode import Boxes, decode_output

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """How a source image was placed in the model input: input = source * scale + pad."""

    scale: float
    pad_x: float
    pad_y: float
    src_w: int
    src_h: int


@dataclass(frozen=True)
class PreparedBatch:
    pixels: np.ndarray  # uint8 [N, H, W, 3] RGB: what `infer` takes
    placements: tuple[Letterbox, ...]  # one per image, to map boxes back


class InfersBatches(Protocol):
    """The model side of the detector seam: a letterboxed batch in, one output per image out."""

    @property
    def spec(self) -> ModelSpec: ...

    def infer(self, batch: np.ndarray, *, confidence: float | None = None, iou: float | None = None,
              class_mask: np.ndarray | None = None) -> list[np.ndarray]:  # fmt: skip
        """uint8 RGB [N, H, W, 3] → per image: [K, 6] rows (layout "nms") or the raw output in spec.layout."""
        ...

    def close(self) -> None: ...


def letterbox(image_bgr: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Fit a BGR uint8 image into `size` (h, w) keeping its aspect ratio; return RGB uint8 HxWx3."""
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
        raise ValueError(f"expected a BGR uint8 HxWx3 image, got {image_bgr.dtype} {image_bgr.shape}")
    src_h, src_w = image_bgr.shape[:2]
    dst_h, dst_w = size
    scale = min(dst_h / src_h, dst_w / src_w)
    new_w, new_h = round(src_w * scale), round(src_h * scale)
    resized = image_bgr
    if (new_w, new_h) != (src_w, src_h):
        resized = cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    # Converting before padding touches fewer pixels; the grey pad is the same in either channel order.
    rgb = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
    pad_w, pad_h = (dst_w - new_w) / 2, (dst_h - new_h) / 2
    # Ultralytics' rounding: an odd remainder puts the extra pixel right/bottom.
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    boxed = cv2.copyMakeBorder(rgb, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    return np.ascontiguousarray(boxed), Letterbox(scale, float(left), float(top), src_w, src_h)


def prepare(images_bgr: Sequence[np.ndarray], size: tuple[int, int]) -> PreparedBatch:
    """Letterbox each BGR image into `size` (h, w) and stack them: the batch `infer` takes."""
    boxed = [letterbox(image, size) for image in images_bgr]
    return PreparedBatch(np.stack([pixels for pixels, _ in boxed]), tuple(box for _, box in boxed))


def to_source(boxes: Boxes, box: Letterbox) -> Boxes:
    """Undo the letterbox and clip to the source image."""
    pads = np.array([box.pad_x, box.pad_y, box.pad_x, box.pad_y], dtype=np.float32)
    out = (boxes.xyxy.astype(np.float32) - pads) / np.float32(box.scale)
    np.clip(out[:, 0::2], 0, box.src_w, out=out[:, 0::2])
    np.clip(out[:, 1::2], 0, box.src_h, out=out[:, 1::2])
    return Boxes(out.astype(np.float32, copy=False), boxes.confidence, boxes.class_id)


def decode(raw: np.ndarray, *, letterbox: Letterbox, confidence: float, iou: float, max_detections: int = 300) -> Boxes:
    """Boxes in source pixels from ONE image's raw YOLOv8/11 output [4+C, A]."""
    if raw.ndim != 2 or raw.shape[0] <= 4:
        raise ValueError(f"expected raw YOLO output [4+C, A], got shape {raw.shape}")
    boxes = decode_output(raw, layout=YOLOV8, confidence=confidence, iou=iou, max_detections=max_detections)
    return to_source(boxes, letterbox)


class ClassNames:
    """A model's class names: the filter mask for a set of names, and the name of each box."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = np.asarray(list(names))
        self._index = {str(name): i for i, name in enumerate(self._names)}

    def __len__(self) -> int:
        return len(self._names)

    def mask(self, classes: Sequence[str] | None) -> np.ndarray | None:
        """True for each class in `classes` (names the model lacks are ignored); None keeps every class."""
        if classes is None:
            return None
        mask = np.zeros(len(self._names), bool)
        for name in classes:
            if name in self._index:
                mask[self._index[name]] = True
        return mask

    def of(self, class_ids: np.ndarray) -> np.ndarray:
        if class_ids.size == 0 or class_ids.max() < len(self._names):
            return self._names[class_ids] if self._names.size else np.array([], dtype=str)
        # A config listing fewer names than the model has classes still names every box.
        return np.array([self._names[i] if i < len(self._names) else f"class{i}" for i in class_ids])


def to_detections(
    outputs: Sequence[np.ndarray],
    placements: Sequence[Letterbox],
    *,
    layout: str,
    names: ClassNames,
    confidence: float,
    iou: float,
    class_mask: np.ndarray | None = None,
) -> list[sv.Detections]:
    """One Detections per image, in source pixels, from each image's output in `layout`.

    Server-side rows ("nms") were filtered already; filtering them again is cheap and keeps a user's
    NMS-exported model (which knows no thresholds) right.
    """
    found = []
    for output, placement in zip(outputs, placements, strict=True):
        boxes = decode_output(output, layout=layout, confidence=confidence, iou=iou, class_mask=class_mask)
        found.append(detections(to_source(boxes, placement), names))
    return found


def detections(boxes: Boxes, names: ClassNames) -> sv.Detections:
    # Empty results carry the same fields, so consumers never special-case them.
    return sv.Detections(
        xyxy=boxes.xyxy, confidence=boxes.confidence, class_id=boxes.class_id,
        data={"class_name": names.of(boxes.class_id)},
    )  # fmt: skip


def by_input_size(spec: ModelSpec, images_bgr: Sequence[np.ndarray]) -> dict[tuple[int, int], list[int]]:
    """The images' indexes grouped by the input each goes through: the least-padded size the model serves for its
    shape (one camera's frames share one; a 16:9 frame goes through 192×320 rather than 320×320)."""
    groups: dict[tuple[int, int], list[int]] = {}
    for index, image in enumerate(images_bgr):
        groups.setdefault(spec.input_size_for(*image.shape[:2]), []).append(index)
    return groups


class Detector:
    """prepare → model.infer → to_detections; as thread-safe as its model (TritonModel is)."""

    def __init__(self, *, model: InfersBatches) -> None:
        self._model = model
        self._names = ClassNames(model.spec.class_names)

    @property
    def model(self) -> InfersBatches:
        return self._model

    @property
    def class_names(self) -> list[str]:
        return list(self._model.spec.class_names)

    def class_mask(self, classes: Sequence[str] | None) -> np.ndarray | None:
        return self._names.mask(classes)

    def detect(
        self,
        images_bgr: list[np.ndarray],
        *,
        confidence: float,
        iou: float,
        classes: Sequence[str] | None = None,
    ) -> list[sv.Detections]:
        """One Detections per BGR image, in source pixels.

        `classes`: keep only these class names (None keeps all; names the model lacks are ignored).
        """
        spec, mask = self._model.spec, self.class_mask(classes)
        found: list[sv.Detections] = [None] * len(images_bgr)  # type: ignore[list-item]
        # One request per input size: a model input holds one size.
        for size, indexes in by_input_size(spec, images_bgr).items():
            batch = prepare([images_bgr[i] for i in indexes], size)
            outputs = self._model.infer(batch.pixels, confidence=confidence, iou=iou, class_mask=mask)
            sized = to_detections(outputs, batch.placements, layout=spec.layout, names=self._names,
                                  confidence=confidence, iou=iou, class_mask=mask)  # fmt: skip
            for index, detected in zip(indexes, sized, strict=True):
                found[index] = detected
        return found

    def close(self) -> None:
        self._model.close()
