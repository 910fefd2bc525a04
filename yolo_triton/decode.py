"""Raw YOLO outputs of every layout in yolo_triton/contract.py to boxes: best class per anchor, class-aware
greedy NMS, as Ultralytics does it, so the detections agree with theirs. This runs for every frame: keep it
vectorised.

Standard library and numpy only: it runs inside the python-backend model too (server-side decode + NMS), and in
the client for a user's own model that returns raw outputs.
"""

import logging
from dataclasses import dataclass

import numpy as np

from yolo_triton.contract import LAYOUTS, NMS, YOLOV5, YOLOV8, UnknownLayoutError

logger = logging.getLogger(__name__)
MAX_NMS_CANDIDATES = 30000  # Ultralytics' max_nms: bounds the NMS cost on pathological frames
MAX_DETECTIONS = 300
_CLASS_OFFSET = 7680.0  # larger than any letterbox side, so boxes of different classes never overlap


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
    if layout == YOLOV8:
        return _decode_scores(raw.T, confidence, iou, class_mask, max_detections)
    if layout == YOLOV5:
        return _decode_scores(_objectness_scaled(raw), confidence, iou, class_mask, max_detections)
    if layout == NMS:
        return _filter_rows(raw, confidence, class_mask, max_detections)
    raise UnknownLayoutError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")


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
