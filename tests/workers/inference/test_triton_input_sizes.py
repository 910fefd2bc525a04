"""The served model's rectangular inputs (yolo_triton/reshape.py) as a worker's detector uses them: a frame
goes through the least-padded input the model serves."""

import numpy as np
import pytest

from stack.triton_server import EmbeddedTriton
from testbed.detection import (
    CONF,
    IOU,
    ZIDANE_PERSONS_REFERENCE,
    assert_matches_reference,
    detector_fixture,
    image,
    names,
)
from workers.inference.detector import Detector
from yolo_triton.prepost import letterbox


@pytest.fixture(scope="module")
def triton(embedded_triton: EmbeddedTriton) -> EmbeddedTriton:
    """The session's Triton (tests/conftest.py): these tests only send it frames."""
    return embedded_triton


detector = detector_fixture()


def test_a_16_9_frame_goes_through_the_192x320_input_and_finds_what_the_square_one_finds(detector: Detector):
    """GIVEN the model served with its rectangular variants (as the launcher serves it)
    WHEN zidane.jpg (1280×720) is detected
    THEN it was sent as 192×320 pixels (40 % fewer than 320×320) and finds the same two persons as the square
    input, each box within IoU 0.8 of the square input's and of the reference."""
    model = detector.model
    assert model.spec.input_shapes == ((320, 320), (192, 320), (256, 320))
    zidane = image("zidane.jpg")
    sent = model.shm_bytes + model.http_bytes

    (found,) = detector.detect([zidane], confidence=CONF, iou=IOU)

    assert model.shm_bytes + model.http_bytes - sent == 192 * 320 * 3
    pixels, placed = letterbox(zidane, (320, 320))
    (rows,) = model.infer(pixels[None], confidence=CONF, iou=IOU)
    pads = np.array([placed.pad_x, placed.pad_y] * 2, np.float32)
    square = [tuple(box) for box in (rows[:, :4] - pads) / placed.scale]
    assert names(found) == ["person", "person"] and len(square) == 2
    assert_matches_reference(found.xyxy, square, min_iou=0.8)
    assert_matches_reference(found.xyxy, ZIDANE_PERSONS_REFERENCE, min_iou=0.8)


def test_a_size_the_model_does_not_serve_is_refused_with_the_sizes_it_does(detector: Detector):
    """GIVEN the served model WHEN a 224×320 batch is sent THEN a ValueError lists the three sizes it takes."""
    with pytest.raises(ValueError, match=r"takes \[N, 320, 320, 3\] or \[N, 192, 320, 3\] or \[N, 256, 320, 3\]"):
        detector.model.infer(np.zeros((1, 224, 320, 3), np.uint8))
