"""Rectangular input variants of a square Ultralytics YOLO (v8/11 detect) ONNX export.

A 16:9 camera letterboxed into a square 320×320 input spends 44 % of the pixels (and of the convolutions) on
grey padding. Ultralytics' own predictor avoids that with "minimum padding" letterboxes (each side rounded up to
the stride, 320×192 for 16:9); its ONNX exports cannot, because their spatial size is baked into a few constants.
This module rewrites those constants for another input size of the same weights:

- the input's H, W and the output's anchor count;
- the anchor grid (cell centres) and per-anchor strides that the export folded into constants;
- Reshape shapes that carry the anchor count (the DFL head) or the stride-32 grid (YOLO11's C2PSA attention).

Whatever else is in the graph is left alone. `write_variants` keeps a variant only if it runs and gives the anchor
count of its size, so an export this does not understand simply keeps its square input (the tests also check
that a variant finds what the square model finds on a real photo).
Needs `onnx` and `onnxruntime`, imported when used (both venvs have them).
"""

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from yolo_triton.contract import shape_key

if TYPE_CHECKING:
    import onnx

logger = logging.getLogger(__name__)

STRIDES = (8, 16, 32)
LARGEST_STRIDE = STRIDES[-1]


class VariantError(ValueError):
    """The export is not one this module knows how to resize."""


def anchor_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Ultralytics' make_anchors as its export folds them: cell centres (1, 2, A) and strides (1, A)."""
    points, strides = [], []
    for stride in STRIDES:
        rows, cols = height // stride, width // stride
        y, x = np.meshgrid(np.arange(rows) + 0.5, np.arange(cols) + 0.5, indexing="ij")
        points.append(np.stack([x.ravel(), y.ravel()]))
        strides.append(np.full(rows * cols, stride))
    return np.concatenate(points, 1)[None].astype(np.float32), np.concatenate(strides)[None].astype(np.float32)


def rect_shapes(side: int) -> list[tuple[int, int]]:
    """The landscape variants worth serving beside a square `side` input: 16:9 and 4:3 (height, width)."""
    shapes = []
    for ratio in (9 / 16, 3 / 4):
        height = -(-round(side * ratio) // LARGEST_STRIDE) * LARGEST_STRIDE
        if height < side and (height, side) not in shapes:
            shapes.append((height, side))
    return shapes


def resized_model(model: "onnx.ModelProto", height: int, width: int) -> "onnx.ModelProto":
    """A copy of the square export `model` that takes [N, 3, height, width]; VariantError when it cannot."""
    import onnx
    from onnx import numpy_helper

    side = _square_side(model)
    if height % LARGEST_STRIDE or width % LARGEST_STRIDE:
        raise VariantError(f"{height}x{width} is not a multiple of the stride {LARGEST_STRIDE}")
    variant = onnx.ModelProto()
    variant.CopyFrom(model)
    old, new = _Sizes(side, side), _Sizes(height, width)
    tensors = _constant_tensors(variant)
    replaced = 0
    for tensor in tensors.values():
        value = numpy_helper.to_array(tensor)
        updated = _replacement(value, old, new)
        if updated is not None:
            tensor.CopyFrom(numpy_helper.from_array(updated, tensor.name))
            replaced += 1
    if replaced == 0:
        raise VariantError("no anchor constants found: not an Ultralytics detect export")
    _set_io_dims(variant, height, width, new.anchors)
    return variant


class _Sizes:
    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self.anchors = sum((height // s) * (width // s) for s in STRIDES)
        self.grid = (height // LARGEST_STRIDE, width // LARGEST_STRIDE)
        self.points, self.strides = anchor_grid(height, width)


def _replacement(value: np.ndarray, old: _Sizes, new: _Sizes) -> np.ndarray | None:
    """The constant for the new size, or None when `value` does not depend on the size."""
    if value.dtype.kind == "f":
        if value.shape == old.points.shape and np.array_equal(value, old.points):
            return new.points.astype(value.dtype)
        if value.shape == old.strides.shape and np.array_equal(value, old.strides):
            return new.strides.astype(value.dtype)
        return None
    if value.dtype.kind != "i" or value.ndim != 1 or not 3 <= value.size <= 5:
        return None
    shape = value.tolist()
    if shape[-1] == old.anchors:  # DFL: [0, 4, 16, A] and [0, 4, A]
        return np.array([*shape[:-1], new.anchors], value.dtype)
    cells = old.grid[0] * old.grid[1]  # below, B is 0 (the batch copied) or a static batch of 1
    if shape[-1] == cells and shape[0] in (0, 1):  # attention over the stride-32 grid: [B, heads, dim, H*W]
        return np.array([*shape[:-1], new.grid[0] * new.grid[1]], value.dtype)
    if shape[-2:] == list(old.grid) and shape[0] in (0, 1):  # back to a feature map: [B, C, H, W]
        return np.array([*shape[:-2], *new.grid], value.dtype)
    return None


def _constant_tensors(model: "onnx.ModelProto") -> dict[str, "onnx.TensorProto"]:
    tensors = {tensor.name: tensor for tensor in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            tensors[node.output[0]] = node.attribute[0].t
    return tensors


def _square_side(model: "onnx.ModelProto") -> int:
    dims = model.graph.input[0].type.tensor_type.shape.dim
    if len(dims) != 4 or dims[2].dim_value <= 0 or dims[2].dim_value != dims[3].dim_value:
        raise VariantError("the export's input is not [N, 3, S, S] with a fixed square S")
    return dims[2].dim_value


def _set_io_dims(model: "onnx.ModelProto", height: int, width: int, anchors: int) -> None:
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = height, width
    out = model.graph.output[0].type.tensor_type.shape.dim
    if len(out) != 3:
        raise VariantError("the export's output is not [N, 4+C, A]")
    out[2].dim_value = anchors
    del model.graph.value_info[:]  # stale intermediate shapes; the runtime infers them again


def write_variants(onnx_path: "str | os.PathLike[str]", version_dir: Path) -> dict[tuple[int, int], str]:
    """Write the rectangular variants of a square export into `version_dir` (model_HxW.onnx); returns their file
    names by (height, width). An export this module does not understand, or without `onnx` installed, gets none
    and a warning: the model then serves its square input only, as before."""
    try:
        import onnx
    except ImportError:
        logger.warning("onnx is not installed: %s keeps its square input only", onnx_path)
        return {}
    model = onnx.load(str(onnx_path))
    written: dict[tuple[int, int], str] = {}
    try:
        shapes = rect_shapes(_square_side(model))
    except VariantError as exc:
        logger.info("No rectangular inputs for %s: %s", onnx_path, exc)
        return {}
    for height, width in shapes:
        try:
            blob = resized_model(model, height, width).SerializeToString()
            check_runs(blob, height, width)
        except Exception as exc:  # noqa: BLE001 - any failure just means no variant; the square input stays
            logger.warning("No %sx%s input for %s: %s", height, width, onnx_path, exc)
            continue
        name = f"model_{shape_key(height, width)}.onnx"
        (version_dir / name).write_bytes(blob)
        written[(height, width)] = name
    return written


def check_runs(blob: bytes, height: int, width: int) -> None:
    """Run a variant once on a grey batch (of two when its batch axis is dynamic); VariantError unless the output
    is [N, 4+C, A] for its size."""
    import onnxruntime as ort

    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    model_input = session.get_inputs()[0]
    batch = model_input.shape[0] if isinstance(model_input.shape[0], int) else 2
    output = session.run(None, {model_input.name: np.full((batch, 3, height, width), 0.45, np.float32)})[0]
    anchors = _Sizes(height, width).anchors
    if output.ndim != 3 or output.shape[0] != batch or output.shape[2] != anchors:
        raise VariantError(f"output {list(output.shape)} for {height}x{width}, expected [{batch}, 4+C, {anchors}]")
