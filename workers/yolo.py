"""YOLO pre- and post-processing in numpy: letterbox in; raw outputs of every common layout to boxes out.

Matches Ultralytics (pad 114 centred, INTER_LINEAR, best class per anchor, class-aware greedy NMS) so the
detections agree with theirs. This runs for every frame: keep it vectorised.

The same file runs inside the Triton model (server-side decode + NMS, copied next to its model.py by
triton/prepare_repository.py), where OpenCV is not installed: only `letterbox` needs cv2, imported there.

Layouts of one image's output (the batch axis already removed):
- "yolov8": [4+C, A]   cx, cy, w, h, C class scores (YOLOv8, YOLO11; no objectness)
- "yolov5": [A, 5+C]   cx, cy, w, h, objectness, C class scores (YOLOv5, YOLOX exported with decoding)
- "nms":    [K, 6]     x1, y1, x2, y2, score, class id, already suppressed (end-to-end / NMS exports,
                       and this project's own server-side post-processing)
"""

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)
PAD_VALUE = 114
MAX_NMS_CANDIDATES = 30000  # Ultralytics' max_nms: bounds the NMS cost on pathological frames
MAX_DETECTIONS = 300
_CLASS_OFFSET = 7680.0  # larger than any letterbox side, so boxes of different classes never overlap
LAYOUTS = ("yolov8", "yolov5", "nms")


class UnknownLayoutError(ValueError):
    """A model output whose shape matches none of the layouts this module decodes."""


@dataclass(frozen=True)
class Letterbox:
    """How a source image was placed in the model input: input = source * scale + pad."""

    scale: float
    pad_x: float
    pad_y: float
    src_w: int
    src_h: int


@dataclass(frozen=True)
class Boxes:
    xyxy: np.ndarray  # float32 [K, 4], model-input pixels until to_source() maps them to the source image
    confidence: np.ndarray  # float32 [K]
    class_id: np.ndarray  # int64 [K]

    def __len__(self) -> int:
        return len(self.confidence)

    @classmethod
    def empty(cls) -> "Boxes":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))

    def as_rows(self) -> np.ndarray:
        """[K, 6] float32 rows x1, y1, x2, y2, score, class: the "nms" layout, what the server sends back."""
        return np.concatenate(
            [self.xyxy, self.confidence[:, None], self.class_id[:, None].astype(np.float32)], axis=1
        ).astype(np.float32, copy=False)


def letterbox(image_bgr: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Fit a BGR uint8 image into `size` (h, w) keeping its aspect ratio; return RGB uint8 HxWx3."""
    import cv2  # here, not at the top: the Triton model imports this module without OpenCV

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


def guess_layout(dims: list[int], num_classes: int | None = None) -> str:
    """The layout of a per-image output with `dims` (no batch axis; -1 = variable), or UnknownLayoutError.

    With the class count known the answer is exact; without it, the long axis is the anchor axis.
    """
    if len(dims) == 2:
        rows, cols = dims
        if num_classes:
            matches = {"yolov8": rows == 4 + num_classes, "yolov5": cols == 5 + num_classes, "nms": cols == 6}
            found = [name for name, ok in matches.items() if ok]
            if len(found) == 1:
                return found[0]
        if cols == 6:
            return "nms"
        if rows > 4 and (cols == -1 or cols > rows):
            return "yolov8"
        if cols > 5 and (rows == -1 or rows > cols):
            return "yolov5"
    raise UnknownLayoutError(
        f"cannot decode an output of shape {dims} (per image): expected [4+C, A] (YOLOv8/11), "
        f"[A, 5+C] (YOLOv5/YOLOX) or [K, 6] (NMS-exported x1,y1,x2,y2,score,class)"
        + (f" with C={num_classes}" if num_classes else "")
    )


def decode_output(
    raw: np.ndarray,
    *,
    layout: str,
    confidence: float,
    iou: float,
    class_mask: np.ndarray | None = None,
    max_detections: int = MAX_DETECTIONS,
) -> Boxes:
    """Boxes in model-input pixels from ONE image's output in `layout`; `class_mask[c]` False drops class c."""
    if raw.ndim != 2:
        raise UnknownLayoutError(f"expected one image's output (2 axes), got shape {list(raw.shape)}")
    if layout == "yolov8":
        return _decode_scores(raw.T, confidence, iou, class_mask, max_detections)
    if layout == "yolov5":
        return _decode_scores(_objectness_scaled(raw), confidence, iou, class_mask, max_detections)
    if layout == "nms":
        return _filter_rows(raw, confidence, class_mask, max_detections)
    raise UnknownLayoutError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")


def decode(raw: np.ndarray, *, letterbox: Letterbox, confidence: float, iou: float, max_detections: int = 300) -> Boxes:
    """Boxes in source pixels from ONE image's raw YOLOv8/11 output [4+C, A] (kept for existing callers)."""
    if raw.ndim != 2 or raw.shape[0] <= 4:
        raise ValueError(f"expected raw YOLO output [4+C, A], got shape {raw.shape}")
    boxes = decode_output(raw, layout="yolov8", confidence=confidence, iou=iou, max_detections=max_detections)
    return to_source(boxes, letterbox)


def _objectness_scaled(raw: np.ndarray) -> np.ndarray:
    """[A, 5+C] -> [A, 4+C] with class scores multiplied by objectness (YOLOv5's confidence)."""
    if raw.shape[1] <= 5:
        raise UnknownLayoutError(f"expected [A, 5+C], got shape {list(raw.shape)}")
    return np.concatenate([raw[:, :4], raw[:, 5:] * raw[:, 4:5]], axis=1)


def _decode_scores(
    anchors: np.ndarray, confidence: float, iou: float, class_mask: np.ndarray | None, max_detections: int
) -> Boxes:
    """[A, 4+C] rows of cx, cy, w, h and class scores -> kept boxes (score > confidence, then NMS)."""
    scores = anchors[:, 4:]
    if class_mask is not None:
        scores = np.where(_mask(class_mask, scores.shape[1]), scores, 0)
    best = scores.max(axis=1) if scores.shape[0] else np.zeros(0, np.float32)
    candidates = np.flatnonzero(best > confidence)
    if candidates.size == 0:
        return Boxes.empty()
    if candidates.size > MAX_NMS_CANDIDATES:
        candidates = candidates[np.argsort(-best[candidates], kind="stable")[:MAX_NMS_CANDIDATES]]
    conf = best[candidates].astype(np.float32)
    class_id = scores[candidates].argmax(axis=1).astype(np.int64)
    xyxy = _cxcywh_to_xyxy(anchors[candidates, :4].astype(np.float32))
    keep = nms(xyxy + (class_id * _CLASS_OFFSET)[:, None].astype(np.float32), conf, iou)[:max_detections]
    return Boxes(xyxy[keep], conf[keep], class_id[keep])


def _filter_rows(rows: np.ndarray, confidence: float, class_mask: np.ndarray | None, max_detections: int) -> Boxes:
    """[K, 6] already-suppressed rows: keep score > confidence and wanted classes, best first."""
    if rows.shape[1] != 6:
        raise UnknownLayoutError(f"expected [K, 6], got shape {list(rows.shape)}")
    class_id = rows[:, 5].astype(np.int64)
    keep = rows[:, 4] > confidence
    if class_mask is not None:
        wanted = _mask(class_mask, int(class_id.max(initial=-1)) + 1)
        keep &= wanted[np.clip(class_id, 0, None)] & (class_id >= 0)
    index = np.flatnonzero(keep)
    index = index[np.argsort(-rows[index, 4], kind="stable")][:max_detections]
    return Boxes(rows[index, :4].astype(np.float32), rows[index, 4].astype(np.float32), class_id[index])


def _mask(class_mask: np.ndarray, count: int) -> np.ndarray:
    """A boolean mask of exactly `count` classes; classes past the given mask are dropped."""
    mask = np.zeros(count, bool)
    given = np.asarray(class_mask, bool).reshape(-1)[:count]
    mask[: given.size] = given
    return mask


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Greedy NMS: indices of kept boxes, highest score first; a box is dropped when IoU > `iou`."""
    order = np.argsort(-scores, kind="stable")
    if order.size == 0:
        return order.astype(np.int64)
    x1, y1, x2, y2 = (boxes_xyxy[:, i] for i in range(4))
    areas = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    kept = []
    while order.size:
        top, rest = order[0], order[1:]
        kept.append(top)
        inter_w = np.clip(np.minimum(x2[top], x2[rest]) - np.maximum(x1[top], x1[rest]), 0, None)
        inter_h = np.clip(np.minimum(y2[top], y2[rest]) - np.maximum(y1[top], y1[rest]), 0, None)
        inter = inter_w * inter_h
        union = areas[top] + areas[rest] - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[overlap <= iou]
    return np.asarray(kept, dtype=np.int64)


def _cxcywh_to_xyxy(cxcywh: np.ndarray) -> np.ndarray:
    half = cxcywh[:, 2:4] / 2
    return np.concatenate([cxcywh[:, 0:2] - half, cxcywh[:, 0:2] + half], axis=1)


def to_source(boxes: Boxes, box: Letterbox) -> Boxes:
    """Undo the letterbox and clip to the source image."""
    pads = np.array([box.pad_x, box.pad_y, box.pad_x, box.pad_y], dtype=np.float32)
    out = (boxes.xyxy.astype(np.float32) - pads) / np.float32(box.scale)
    np.clip(out[:, 0::2], 0, box.src_w, out=out[:, 0::2])
    np.clip(out[:, 1::2], 0, box.src_h, out=out[:, 1::2])
    return Boxes(out.astype(np.float32, copy=False), boxes.confidence, boxes.class_id)
