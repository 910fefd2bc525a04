"""Decode + NMS of every output layout, on hand-computed outputs (no Triton, no Django)."""

import numpy as np
import pytest

from yolo_triton.decode import decode_output, nms

NUM_CLASSES = 3


def raw_output(*anchors: tuple[float, float, float, float, int, float], num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Raw [4+C, A] output from (cx, cy, w, h, class_id, score) anchors; other class scores are 0."""
    raw = np.zeros((4 + num_classes, len(anchors)), np.float32)
    for i, (cx, cy, w, h, class_id, score) in enumerate(anchors):
        raw[:4, i] = (cx, cy, w, h)
        raw[4 + class_id, i] = score
    return raw


def v5_output(*anchors: tuple[float, float, float, float, float, int, float]) -> np.ndarray:
    """Raw YOLOv5 [A, 5+C] from (cx, cy, w, h, objectness, class_id, class score) anchors."""
    raw = np.zeros((len(anchors), 5 + NUM_CLASSES), np.float32)
    for i, (cx, cy, w, h, obj, class_id, score) in enumerate(anchors):
        raw[i, :5] = (cx, cy, w, h, obj)
        raw[i, 5 + class_id] = score
    return raw


def test_nms_suppresses_only_above_the_iou_threshold():
    """GIVEN boxes [0,0,10,10] (0.9) and [0,0,10,5] (0.8) whose IoU is exactly 0.5
    WHEN NMS runs at IoU 0.5 and at 0.49
    THEN both survive at 0.5; only the best at 0.49."""
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 5]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)

    assert nms(boxes, scores, 0.5).tolist() == [0, 1]
    assert nms(boxes, scores, 0.49).tolist() == [0]


def test_nms_of_nothing_is_empty():
    """GIVEN no boxes WHEN NMS runs THEN it returns an empty int64 index array."""
    kept = nms(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.45)

    assert kept.shape == (0,) and kept.dtype == np.int64


def test_yolov5_layout_scales_class_scores_by_objectness():
    """GIVEN a YOLOv5 output: one anchor with objectness 0.9 x class score 0.5 (= 0.45), one with 0.3 x 0.9 (0.27),
    one with 0.2 x 0.9 (0.18)
    WHEN decoded at confidence 0.25 as layout yolov5
    THEN two boxes, scored 0.45 and 0.27, best first, at their xyxy positions."""
    raw = v5_output((100, 100, 20, 20, 0.9, 1, 0.5), (300, 300, 20, 20, 0.3, 2, 0.9), (500, 500, 20, 20, 0.2, 0, 0.9))

    boxes = decode_output(raw, layout="yolov5", confidence=0.25, iou=0.45)

    np.testing.assert_allclose(boxes.confidence, [0.45, 0.27], rtol=1e-5)
    assert boxes.class_id.tolist() == [1, 2]
    np.testing.assert_allclose(boxes.xyxy, [[90, 90, 110, 110], [290, 290, 310, 310]])


def test_nms_exported_layout_is_filtered_but_not_suppressed_again():
    """GIVEN NMS-exported rows [K, 6]: two overlapping boxes of one class (0.9, 0.8), one of 0.1, and zero padding
    WHEN decoded at confidence 0.25 as layout nms
    THEN the two confident boxes remain (the model already suppressed), best first; padding and 0.1 are gone."""
    rows = np.array(
        [[0, 0, 10, 10, 0.8, 2], [1, 0, 11, 10, 0.9, 2], [50, 50, 60, 60, 0.1, 0], [0, 0, 0, 0, 0, 0]], np.float32
    )

    boxes = decode_output(rows, layout="nms", confidence=0.25, iou=0.45)

    np.testing.assert_allclose(boxes.confidence, [0.9, 0.8])
    np.testing.assert_allclose(boxes.xyxy, [[1, 0, 11, 10], [0, 0, 10, 10]])
    assert boxes.class_id.tolist() == [2, 2]


@pytest.mark.parametrize("layout", ["yolov8", "yolov5", "nms"])
def test_class_mask_keeps_only_the_wanted_classes(layout):
    """GIVEN three far-apart boxes of classes 0, 1, 2 in any layout
    WHEN decoded with a class mask wanting only class 1
    THEN only the class-1 box remains."""
    anchors = [(100 + 200 * c, 100, 20, 20, c, 0.9) for c in range(3)]
    raw = {
        "yolov8": raw_output(*anchors),
        "yolov5": v5_output(*[(cx, cy, w, h, 1.0, c, s) for cx, cy, w, h, c, s in anchors]),
        "nms": np.array([[cx - 10, cy - 10, cx + 10, cy + 10, s, c] for cx, cy, w, h, c, s in anchors], np.float32),
    }[layout]

    boxes = decode_output(raw, layout=layout, confidence=0.25, iou=0.45, class_mask=np.array([False, True, False]))

    assert boxes.class_id.tolist() == [1]
    np.testing.assert_allclose(boxes.xyxy, [[290, 90, 310, 110]])


def test_boxes_round_trip_through_detection_rows():
    """GIVEN decoded boxes WHEN sent as [K, 6] rows (what the server returns) and decoded as layout nms
    THEN the same boxes come back."""
    boxes = decode_output(raw_output((100, 100, 50, 50, 1, 0.8), (400, 300, 40, 60, 2, 0.6)), layout="yolov8",
                          confidence=0.25, iou=0.45)  # fmt: skip

    again = decode_output(boxes.as_rows(), layout="nms", confidence=0.25, iou=0.45)

    np.testing.assert_allclose(again.xyxy, boxes.xyxy)
    np.testing.assert_allclose(again.confidence, boxes.confidence)
    assert again.class_id.tolist() == boxes.class_id.tolist()
