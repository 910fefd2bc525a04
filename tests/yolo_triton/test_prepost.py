"""Letterbox, decode and the way back to source pixels, on hand-computed inputs (no Triton, no Django)."""

import numpy as np
import pytest

from tests.yolo_triton.test_decode import NUM_CLASSES, raw_output
from yolo_triton.decode import decode_output
from yolo_triton.prepost import Letterbox, decode, letterbox, to_source

IDENTITY = Letterbox(scale=1.0, pad_x=0.0, pad_y=0.0, src_w=640, src_h=640)


def test_nothing_above_threshold_gives_empty_boxes_with_right_dtypes():
    """GIVEN anchors scoring below the threshold, and an output with no anchors at all
    WHEN decoded at confidence 0.25
    THEN both give empty xyxy [0,4] float32, confidence [0] float32, class_id [0] int64."""
    for raw in (raw_output((100, 100, 20, 20, 0, 0.1), (300, 300, 20, 20, 2, 0.2)), np.zeros((84, 0), np.float32)):
        boxes = decode(raw, letterbox=IDENTITY, confidence=0.25, iou=0.45)

        assert len(boxes) == 0
        assert boxes.xyxy.shape == (0, 4) and boxes.xyxy.dtype == np.float32
        assert boxes.confidence.shape == (0,) and boxes.confidence.dtype == np.float32
        assert boxes.class_id.shape == (0,) and boxes.class_id.dtype == np.int64


def test_overlapping_boxes_of_one_class_keep_the_best():
    """GIVEN two 50x50 boxes of class 1, 2 px apart (IoU 2400/2600 = 0.92)
    WHEN decoded with NMS IoU 0.45
    THEN only the higher-scoring one is kept, at its exact position."""
    raw = raw_output((100, 100, 50, 50, 1, 0.8), (102, 100, 50, 50, 1, 0.9))

    boxes = decode(raw, letterbox=IDENTITY, confidence=0.25, iou=0.45)

    np.testing.assert_allclose(boxes.xyxy, [[77, 75, 127, 125]])
    np.testing.assert_allclose(boxes.confidence, [0.9])
    assert boxes.class_id.tolist() == [1]


def test_overlapping_boxes_of_different_classes_are_both_kept():
    """GIVEN two identical boxes, one of class 0 (0.7) and one of class 2 (0.9)
    WHEN decoded with NMS IoU 0.45
    THEN both are kept, best first (NMS is per class)."""
    raw = raw_output((100, 100, 50, 50, 0, 0.7), (100, 100, 50, 50, 2, 0.9))

    boxes = decode(raw, letterbox=IDENTITY, confidence=0.25, iou=0.45)

    assert boxes.class_id.tolist() == [2, 0]
    np.testing.assert_allclose(boxes.confidence, [0.9, 0.7])
    np.testing.assert_allclose(boxes.xyxy, [[75, 75, 125, 125]] * 2)


def test_best_class_of_an_anchor_wins():
    """GIVEN one anchor scoring 0.3 for class 0 and 0.6 for class 2
    WHEN decoded
    THEN one box of class 2 with confidence 0.6."""
    raw = raw_output((100, 100, 50, 50, 2, 0.6))
    raw[4 + 0, 0] = 0.3

    boxes = decode(raw, letterbox=IDENTITY, confidence=0.25, iou=0.45)

    assert boxes.class_id.tolist() == [2]
    np.testing.assert_allclose(boxes.confidence, [0.6])


def test_confidence_threshold_is_exclusive():
    """GIVEN far-apart anchors scoring exactly 0.25 and 0.2501
    WHEN decoded at confidence 0.25
    THEN only the 0.2501 one is kept (score must be greater than the threshold, like Ultralytics)."""
    raw = raw_output((100, 100, 20, 20, 0, 0.25), (400, 400, 20, 20, 0, 0.2501))

    boxes = decode(raw, letterbox=IDENTITY, confidence=0.25, iou=0.45)

    np.testing.assert_allclose(boxes.confidence, [0.2501])
    np.testing.assert_allclose(boxes.xyxy, [[390, 390, 410, 410]])


def test_max_detections_keeps_the_highest_scores():
    """GIVEN ten non-overlapping boxes scoring 0.50..0.59
    WHEN decoded with max_detections=3
    THEN the three best remain, best first."""
    raw = raw_output(*[(30 + 60 * i, 30, 20, 20, i % NUM_CLASSES, 0.5 + i / 100) for i in range(10)])

    boxes = decode(raw, letterbox=IDENTITY, confidence=0.25, iou=0.45, max_detections=3)

    np.testing.assert_allclose(boxes.confidence, [0.59, 0.58, 0.57])
    assert boxes.class_id.tolist() == [9 % 3, 8 % 3, 7 % 3]


def test_decode_rejects_batched_output():
    """GIVEN a batched raw output [1, 84, A] WHEN decoded as one image THEN a ValueError says so."""
    with pytest.raises(ValueError, match=r"\[4\+C, A\]"):
        decode(np.zeros((1, 84, 10), np.float32), letterbox=IDENTITY, confidence=0.25, iou=0.45)


def test_letterbox_of_wide_image_pads_top_and_bottom_and_converts_to_rgb():
    """GIVEN a 400x200 (w x h) BGR image of colour (10, 20, 30)
    WHEN letterboxed to 320x320
    THEN scale 0.8, 80 px grey (114) bars top and bottom, no side pad, pixels in RGB order."""
    image = np.empty((200, 400, 3), np.uint8)
    image[:] = (10, 20, 30)

    boxed, box = letterbox(image, (320, 320))

    assert box == Letterbox(scale=0.8, pad_x=0.0, pad_y=80.0, src_w=400, src_h=200)
    assert boxed.shape == (320, 320, 3) and boxed.dtype == np.uint8 and boxed.flags.c_contiguous
    assert (boxed[:80] == 114).all() and (boxed[240:] == 114).all()
    assert (boxed[80:240] == (30, 20, 10)).all()


def test_letterbox_odd_padding_puts_the_extra_row_at_the_bottom():
    """GIVEN a 100x51 (w x h) image
    WHEN letterboxed to 64x64 (scale 0.64 -> 64x33, 31 rows of pad)
    THEN 15 rows on top and 16 at the bottom, as Ultralytics does."""
    image = np.zeros((51, 100, 3), np.uint8)

    boxed, box = letterbox(image, (64, 64))

    assert (box.pad_x, box.pad_y) == (0.0, 15.0)
    assert (boxed[:15] == 114).all() and (boxed[48:] == 114).all()
    assert (boxed[15:48] == 0).all()


@pytest.mark.parametrize(
    "image", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8), np.zeros((10, 10, 3), np.float32)]
)
def test_letterbox_rejects_non_bgr_images(image):
    """GIVEN a grey, BGRA or float image WHEN letterboxed THEN a ValueError names what it expected."""
    with pytest.raises(ValueError, match="BGR uint8"):
        letterbox(image, (32, 32))


def test_box_in_letterbox_coordinates_maps_back_to_source_pixels():
    """GIVEN a 400x200 image letterboxed to 320x320 (scale 0.8, pad_y 80) and a model box at
    cx 120, cy 160, w 80, h 80 in letterbox pixels (source [100, 50, 200, 150] * 0.8 + pad)
    WHEN decoded with that letterbox
    THEN the box is [100, 50, 200, 150] in source pixels."""
    _, box = letterbox(np.zeros((200, 400, 3), np.uint8), (320, 320))
    raw = raw_output((120, 160, 80, 80, 0, 0.9))

    boxes = decode(raw, letterbox=box, confidence=0.25, iou=0.45)

    np.testing.assert_allclose(boxes.xyxy, [[100, 50, 200, 150]], atol=1e-4)


def test_boxes_are_clipped_to_the_source_image():
    """GIVEN a box that spills over the letterbox pad into the grey bars and past the right edge
    WHEN decoded for a 400x200 source
    THEN it is clipped to [0, 400] x [0, 200]."""
    _, box = letterbox(np.zeros((200, 400, 3), np.uint8), (320, 320))
    raw = raw_output((300, 160, 80, 200, 0, 0.9))  # letterbox x 260..340, y 60..260

    boxes = decode(raw, letterbox=box, confidence=0.25, iou=0.45)

    np.testing.assert_allclose(boxes.xyxy, [[325, 0, 400, 200]], atol=1e-4)


def test_to_source_undoes_the_letterbox():
    """GIVEN a box in letterbox pixels of a 400x200 image in 320x320 WHEN mapped THEN it is in source pixels."""
    _, box = letterbox(np.zeros((200, 400, 3), np.uint8), (320, 320))
    boxes = decode_output(raw_output((120, 160, 80, 80, 0, 0.9)), layout="yolov8", confidence=0.25, iou=0.45)

    np.testing.assert_allclose(to_source(boxes, box).xyxy, [[100, 50, 200, 150]], atol=1e-4)
