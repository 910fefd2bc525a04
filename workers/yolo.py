"""YOLOv8/YOLO11 pre- and post-processing in numpy: letterbox in, raw [4+C, A] output to boxes out.

Matches Ultralytics (pad 114 centred, INTER_LINEAR, best class per anchor, class-aware greedy NMS) so the
detections agree with theirs. This runs for every frame: keep it vectorised.
"""

import logging
from dataclasses import dataclass

import cv2
import numpy as np

logger = logging.getLogger(__name__)
PAD_VALUE = 114
MAX_NMS_CANDIDATES = 30000  # Ultralytics' max_nms: bounds the NMS cost on pathological frames
_CLASS_OFFSET = 7680.0  # larger than any letterbox side, so boxes of different classes never overlap


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
    xyxy: np.ndarray  # float32 [K, 4], source-image pixels
    confidence: np.ndarray  # float32 [K]
    class_id: np.ndarray  # int64 [K]

    def __len__(self) -> int:
        return len(self.confidence)

    @classmethod
    def empty(cls) -> "Boxes":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))


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


def decode(raw: np.ndarray, *, letterbox: Letterbox, confidence: float, iou: float, max_detections: int = 300) -> Boxes:
    """Boxes from ONE image's raw output [4+C, A] (cx, cy, w, h, class scores; no objectness).

    Keeps anchors whose best class score is > `confidence`, then class-aware NMS (IoU > `iou` suppresses).
    """
    if raw.ndim != 2 or raw.shape[0] <= 4:
        raise ValueError(f"expected raw YOLO output [4+C, A], got shape {raw.shape}")
    scores = raw[4:]
    best = scores.max(axis=0)
    candidates = np.flatnonzero(best > confidence)
    if candidates.size == 0:
        return Boxes.empty()
    if candidates.size > MAX_NMS_CANDIDATES:
        candidates = candidates[np.argsort(-best[candidates], kind="stable")[:MAX_NMS_CANDIDATES]]
    conf = best[candidates].astype(np.float32)
    class_id = scores[:, candidates].argmax(axis=0).astype(np.int64)
    xyxy = _cxcywh_to_xyxy(raw[:4, candidates].T.astype(np.float32))
    keep = nms(xyxy + (class_id * _CLASS_OFFSET)[:, None].astype(np.float32), conf, iou)[:max_detections]
    return Boxes(_to_source(xyxy[keep], letterbox), conf[keep], class_id[keep])


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


def _to_source(xyxy: np.ndarray, box: Letterbox) -> np.ndarray:
    """Undo the letterbox and clip to the source image."""
    pads = np.array([box.pad_x, box.pad_y, box.pad_x, box.pad_y], dtype=np.float32)
    out = (xyxy - pads) / np.float32(box.scale)
    np.clip(out[:, 0::2], 0, box.src_w, out=out[:, 0::2])
    np.clip(out[:, 1::2], 0, box.src_h, out=out[:, 1::2])
    return out.astype(np.float32, copy=False)
