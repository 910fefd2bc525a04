"""Rectangular input variants of a square Ultralytics export (yolo_triton/reshape.py)."""

import logging
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from testbed.detection import asset
from yolo_triton.reshape import (
    VariantError,
    anchor_grid,
    rect_shapes,
    resized_model,
    write_variants,
)


def zidane_at(width: int) -> np.ndarray:
    """zidane.jpg (1280×720, two persons and a tie) as RGB, scaled to `width` as the client's letterbox does."""
    image = cv2.cvtColor(cv2.imread(str(asset("zidane.jpg"))), cv2.COLOR_BGR2RGB)
    return cv2.resize(image, (width, round(720 * width / 1280)), interpolation=cv2.INTER_LINEAR)


def verify_variant(square: bytes, variant: bytes, image_rgb: np.ndarray) -> None:
    """Run both models on `image_rgb` (H×W×3 uint8, H ≤ W, letterboxed into each input as the client does) and
    raise VariantError unless their confident boxes agree."""
    results = []
    for blob in (square, variant):
        session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
        _, _, height, width = session.get_inputs()[0].shape
        canvas = np.full((height, width, 3), 114, np.uint8)
        top, left = (height - image_rgb.shape[0]) // 2, (width - image_rgb.shape[1]) // 2
        canvas[top : top + image_rgb.shape[0], left : left + image_rgb.shape[1]] = image_rgb
        batch = canvas.transpose(2, 0, 1)[None].astype(np.float32) / 255
        output = session.run(None, {session.get_inputs()[0].name: batch})[0][0]
        results.append(best_boxes(output, top, left))
    compare(*results)


def best_boxes(output: np.ndarray, top: int, left: int) -> dict[int, np.ndarray]:
    """Per class, the highest-scoring box (xyxy relative to the image) when its score is at least 0.5."""
    scores = output[4:]
    best: dict[int, np.ndarray] = {}
    for cls in np.unique(scores.argmax(0)):
        column = int(scores[cls].argmax())
        if scores[cls, column] >= 0.5:
            cx, cy, w, h = output[:4, column]
            best[int(cls)] = np.array([cx - w / 2 - left, cy - h / 2 - top, cx + w / 2 - left, cy + h / 2 - top])
    return best


def compare(square: dict[int, np.ndarray], variant: dict[int, np.ndarray]) -> None:
    if not square or set(square) != set(variant):
        raise VariantError(f"classes differ: square {sorted(square)}, variant {sorted(variant)}")
    for cls, box in square.items():
        other = variant[cls]
        inter = np.prod(np.clip(np.minimum(box[2:], other[2:]) - np.maximum(box[:2], other[:2]), 0, None))
        union = np.prod(box[2:] - box[:2]) + np.prod(other[2:] - other[:2]) - inter
        if inter / union < 0.8:
            raise VariantError(f"class {cls}: boxes differ (IoU {inter / union:.2f})")


def test_variant_sizes_are_16_9_and_4_3_rounded_up_to_the_stride():
    """GIVEN square inputs of 320 and 640 WHEN their variants are listed THEN 16:9 and 4:3, heights a multiple of 32."""
    assert rect_shapes(320) == [(192, 320), (256, 320)]
    assert rect_shapes(640) == [(384, 640), (480, 640)]


def test_the_anchor_grid_is_the_one_the_export_folded():
    """GIVEN the yolo11n 320 export WHEN the anchor grid for 320×320 is generated THEN it equals the constants the
    export carries (cell centres for the Sub and Add of the box decode, strides for its Mul)."""
    model = onnx.load(str(asset("yolo11n_320_dyn.onnx")))
    constants = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    points, strides = anchor_grid(320, 320)

    assert np.array_equal(constants["/model.23/Constant_12_output_0"], points)
    assert np.array_equal(constants["/model.23/Constant_15_output_0"], strides)


@pytest.mark.parametrize(("onnx_name", "side"), [("yolo11n_320_dyn.onnx", 320), ("yolov8n_dyn.onnx", 640)])
def test_a_16_9_variant_finds_what_the_square_model_finds_with_less_work(onnx_name: str, side: int):
    """GIVEN a square export (YOLO11n with its attention block at 320, YOLOv8n at 640)
    WHEN its 16:9 variant is made and both see zidane.jpg letterboxed into their own input
    THEN the variant outputs fewer anchors (the padding it no longer computes) and both find the same classes
    with boxes that agree (IoU ≥ 0.8)."""
    model = onnx.load(str(asset(onnx_name)))
    height, width = rect_shapes(side)[0]
    variant = resized_model(model, height, width)

    session = ort.InferenceSession(variant.SerializeToString(), providers=["CPUExecutionProvider"])
    output = session.run(None, {"images": np.zeros((1, 3, height, width), np.float32)})[0]
    square_anchors = sum((side // s) ** 2 for s in (8, 16, 32))
    assert output.shape[2] == square_anchors * height // width < square_anchors
    verify_variant(model.SerializeToString(), variant.SerializeToString(), zidane_at(width))


def test_a_wrong_variant_is_caught_by_the_check():
    """GIVEN the 16:9 variant's output compared with the square model's on different images
    WHEN verified THEN a VariantError says they disagree (the check can fail)."""
    model = onnx.load(str(asset("yolo11n_320_dyn.onnx")))
    square, variant = model.SerializeToString(), resized_model(model, 192, 320).SerializeToString()
    grey = np.full((180, 320, 3), 114, np.uint8)

    with pytest.raises(VariantError):
        verify_variant(square, variant, grey)


def tiny_onnx(path: Path, square: bool = True) -> Path:
    """A one-Conv model of the Ultralytics input shape but none of its head."""
    weights = helper.make_tensor("w", TensorProto.FLOAT, [84, 3, 1, 1], np.zeros(84 * 3, np.float32))
    node = helper.make_node("Conv", ["images", "w"], ["output0"])
    side = 320 if square else 256
    graph = helper.make_graph([node], "tiny", [helper.make_tensor_value_info("images", TensorProto.FLOAT,
                              ["batch", 3, side, 320])],
                              [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["batch", 84, side, 320])],
                              [weights])  # fmt: skip
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)]), str(path))
    return path


@pytest.mark.parametrize("square", [True, False])
def test_an_export_it_does_not_understand_keeps_its_square_input(tmp_path: Path, caplog, square: bool):
    """GIVEN an ONNX that is not an Ultralytics detect export (square or not)
    WHEN variants are written for it THEN none are, nothing is left in the directory, and the log says why."""
    caplog.set_level(logging.INFO, logger="yolo_triton.reshape")
    path = tiny_onnx(tmp_path / "tiny.onnx", square=square)
    out = tmp_path / "version"
    out.mkdir()

    assert write_variants(path, out) == {}
    assert list(out.iterdir()) == []
    assert "tiny.onnx" in caplog.text
