"""The tensor contract between this project and a YOLO model on Triton, and how a served config reads.

This project's models (written by yolo_triton/repository.py, CPU or GPU profile):
- in:  `images` UINT8 [N,H,W,3] RGB, letterboxed, not normalised; optional per image `confidence` FP32 [N,1],
       `iou` FP32 [N,1] and `class_mask` BOOL [N,C] (False drops a class);
- out: `detections` FP32 [N,K,6] (x1, y1, x2, y2 in model-input pixels, score, class; best first; zero rows
       after `num_detections` INT32 [N,1]): decode and NMS ran on the server ("nms" layout);
- config parameter `class_names`: a JSON list of names;
- config parameter `input_shapes` (when the model also serves rectangular inputs, yolo_triton/reshape.py): a JSON
  object {"HxW": ONNX path}, the default (square) input first; the image input's H and W are then -1.
A user's own deployment may instead serve one raw output in a layout of LAYOUTS and take FP32/FP16 [N,3,H,W]
input; `parse_config` recognises both from the config alone.

Standard library and numpy only: the python-backend model imports this file too (see __init__.py).
"""

import ast
import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

# Tensor names.
IMAGES = "images"
CONFIDENCE = "confidence"
IOU = "iou"
CLASS_MASK = "class_mask"
DETECTIONS = "detections"
NUM_DETECTIONS = "num_detections"
RAW_OUTPUT = "output0"  # the raw ONNX output, served as is (postprocess "raw") or between ensemble steps
SERVER_OUTPUTS = (DETECTIONS, NUM_DETECTIONS)
DEFAULT_THRESHOLDS = {CONFIDENCE: 0.25, IOU: 0.45}  # what the model uses for a request that sends none

# Config parameters (config.pbtxt `parameters`, string values).
PARAM_CLASS_NAMES = "class_names"
PARAM_LAYOUT = "layout"  # the layout of the ONNX output (what the server decodes)
PARAM_POSTPROCESS = "postprocess"  # "server" (decode + NMS in the model) or "raw"
PARAM_STAGE = "stage"  # "full", or "postprocess" for the NMS step of the GPU ensemble
PARAM_ONNX_PATH = "onnx_path"
PARAM_ORT_THREADS = "ort_threads"
PARAM_MAX_DETECTIONS = "max_detections"
PARAM_INPUT_SHAPES = "input_shapes"

# Layouts of one image's output (batch axis removed).
YOLOV8 = "yolov8"  # [4+C, A]: cx, cy, w, h, C class scores (YOLOv8, YOLO11; no objectness)
YOLOV5 = "yolov5"  # [A, 5+C]: cx, cy, w, h, objectness, C class scores (YOLOv5, YOLOX)
NMS = "nms"  # [K, 6]: x1, y1, x2, y2, score, class id, already suppressed
LAYOUTS = (YOLOV8, YOLOV5, NMS)

# Input formats: how the image tensor wants the letterboxed uint8 RGB batch.
NHWC_UINT8 = "nhwc_uint8"
NCHW_FLOAT32 = "nchw_float32"
NCHW_FLOAT16 = "nchw_float16"
INPUT_DTYPES = {NHWC_UINT8: np.uint8, NCHW_FLOAT32: np.float32, NCHW_FLOAT16: np.float16}
_FLOAT_INPUTS = {"TYPE_FP32": NCHW_FLOAT32, "TYPE_FP16": NCHW_FLOAT16}


class UnknownLayoutError(ValueError):
    """A model output whose shape matches none of the layouts this project decodes."""


@dataclass(frozen=True)
class OnnxInfo:
    """What an ONNX export says of itself (yolo_triton.repository.read_onnx): the entries and configs follow it."""

    batch: int | None  # None when the batch axis is dynamic
    height: int
    width: int
    output_dims: list[int]  # per image, -1 where not fixed
    layout: str
    class_names: list[str]


@dataclass(frozen=True)
class ModelSpec:
    """What a client must know of a served model, all read from its config."""

    input_name: str
    output_name: str  # DETECTIONS for server-side post-processing, else the one raw output
    input_size: tuple[int, int]  # (height, width)
    max_batch_size: int  # 0: the model does not batch
    class_names: tuple[str, ...]
    layout: str  # of what comes back: NMS for server-side models, else the raw output's
    input_format: str = NHWC_UINT8
    optional_inputs: frozenset[str] = frozenset()
    input_shapes: tuple[tuple[int, int], ...] = ()  # every (height, width) served, input_size first; () = just it

    @property
    def server_side(self) -> bool:
        """True when the server decodes and suppresses (outputs `detections` + `num_detections`)."""
        return self.output_name == DETECTIONS

    @property
    def output_names(self) -> list[str]:
        return list(SERVER_OUTPUTS) if self.server_side else [self.output_name]

    @property
    def served_sizes(self) -> tuple[tuple[int, int], ...]:
        """Every (height, width) the model takes, the default first."""
        return self.input_shapes or (self.input_size,)

    def input_size_for(self, height: int, width: int) -> tuple[int, int]:
        """The smallest served input that holds a height×width image at the default input's scale: the least
        grey padding, so the least inference work, for the same detail (see yolo_triton/reshape.py)."""
        default_h, default_w = self.input_size
        scale = min(default_h / height, default_w / width)
        need_h, need_w = round(height * scale), round(width * scale)
        fits = [shape for shape in self.served_sizes if shape[0] >= need_h and shape[1] >= need_w]
        return min(fits, key=lambda shape: shape[0] * shape[1], default=self.input_size)

    def serves(self, height: int, width: int) -> bool:
        return (height, width) in self.served_sizes

    def input_bytes(self, images: int) -> int:
        """Bytes of the image tensor for `images` images."""
        height, width = self.input_size
        return images * height * width * 3 * np.dtype(INPUT_DTYPES[self.input_format]).itemsize


def guess_layout(dims: list[int], num_classes: int | None = None) -> str:
    """The layout of a per-image output with `dims` (no batch axis; -1 = variable), or UnknownLayoutError.

    With the class count known the answer is exact; without it, the long axis is the anchor axis.
    """
    if len(dims) == 2:
        rows, cols = dims
        if num_classes:
            matches = {YOLOV8: rows == 4 + num_classes, YOLOV5: cols == 5 + num_classes, NMS: cols == 6}
            found = [name for name, ok in matches.items() if ok]
            if len(found) == 1:
                return found[0]
        if cols == 6:
            return NMS
        if rows > 4 and (cols == -1 or cols > rows):
            return YOLOV8
        if cols > 5 and (rows == -1 or rows > cols):
            return YOLOV5
    raise UnknownLayoutError(
        f"cannot decode an output of shape {dims} (per image): expected [4+C, A] (YOLOv8/11), "
        f"[A, 5+C] (YOLOv5/YOLOX) or [K, 6] (NMS-exported x1,y1,x2,y2,score,class)"
        + (f" with C={num_classes}" if num_classes else "")
    )


def class_count(layout: str, dims: list[int]) -> int | None:
    """How many classes a per-image output of `dims` in `layout` scores; None when the shape does not say."""
    count = {YOLOV8: dims[0] - 4, YOLOV5: dims[-1] - 5}.get(layout) if len(dims) == 2 else None
    return count if count is not None and count > 0 else None


def parse_names(raw: str | None) -> list[str]:
    """Class names from ONNX metadata: Ultralytics writes a dict literal "{0: 'person', ...}"; lists work too."""
    try:
        parsed = ast.literal_eval(raw) if raw else None
    except (ValueError, SyntaxError):
        logger.warning("Unreadable 'names' metadata; using class<i> names")
        parsed = None
    if isinstance(parsed, dict):
        return [str(parsed[key]) for key in sorted(parsed)]
    if isinstance(parsed, list | tuple):
        return [str(name) for name in parsed]
    return []


def fit_names(names: list[str], count: int | None) -> list[str]:
    """`names`, or class<i> for each of `count` classes when the names do not match the output."""
    if count is not None and len(names) != count:
        if names:
            logger.warning("Metadata lists %s names but the model outputs %s classes", len(names), count)
        return [f"class{i}" for i in range(count)]
    return names


def config_parameter(config: dict[str, Any], key: str, default: str | None = None) -> str | None:
    """A string parameter of a model config (HTTP JSON form, or the python backend's `model_config`)."""
    return config.get("parameters", {}).get(key, {}).get("string_value", default)


def config_class_names(config: dict[str, Any]) -> list[str]:
    """The `class_names` parameter (a JSON list), or [] when absent or unreadable."""
    raw = config_parameter(config, PARAM_CLASS_NAMES)
    if raw:
        try:
            return [str(name) for name in json.loads(raw)]
        except (ValueError, TypeError):
            logger.warning("Unreadable class_names parameter in the config of %s", config.get("name", "a model"))
    return []


def parse_config(config: dict[str, Any]) -> ModelSpec:
    """The ModelSpec of a served model config (HTTP JSON form); ValueError says what does not fit."""
    inputs, outputs = config.get("input", []), config.get("output", [])
    if not inputs or not outputs:
        raise ValueError(f"model has {len(inputs)} inputs and {len(outputs)} outputs; expected images in, boxes out")
    max_batch_size = int(config.get("max_batch_size", 0))
    image, input_format, size = _image_input(inputs, max_batch_size)
    shapes = served_shapes(config)
    if shapes:
        size = shapes[0]
    elif min(size) < 1:
        raise ValueError(f"input {image['name']!r} has no fixed H and W and the config lists no {PARAM_INPUT_SHAPES}")
    names = config_class_names(config)
    output_name, layout, dims = _output(outputs, max_batch_size, len(names) or None)
    if not names:
        names = fit_names([], class_count(layout, dims))
    return ModelSpec(
        input_name=image["name"], output_name=output_name, input_size=size, max_batch_size=max_batch_size,
        class_names=tuple(names), layout=layout, input_format=input_format,
        optional_inputs=frozenset(i["name"] for i in inputs if i["name"] != image["name"]), input_shapes=shapes,
    )  # fmt: skip


def shape_key(height: int, width: int) -> str:
    return f"{height}x{width}"


def parse_shape_key(key: str) -> tuple[int, int]:
    """(height, width) of a "HxW" key; ValueError when it is not one."""
    height, width = key.split("x")
    return int(height), int(width)


def served_shapes(config: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    """The (height, width) inputs listed by the `input_shapes` parameter, default first; () when absent."""
    raw = config_parameter(config, PARAM_INPUT_SHAPES)
    if not raw:
        return ()
    try:
        return tuple(parse_shape_key(key) for key in json.loads(raw))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"unreadable {PARAM_INPUT_SHAPES} parameter {raw!r}") from exc


def _image_input(inputs: list[dict], max_batch_size: int) -> tuple[dict, str, tuple[int, int]]:
    """The image input: UINT8 [H,W,3] (this project) or FP32/FP16 [3,H,W] (a plain Ultralytics export)."""
    image = next((i for i in inputs if i["name"] == IMAGES), inputs[0])
    dims = [int(d) for d in image["dims"]]
    if max_batch_size < 1 and dims[:1] in ([1], [-1]):
        dims = dims[1:]  # a non-batching model lists its batch of one in dims
    kind = image.get("data_type", "")
    if len(dims) == 3 and dims[2] == 3 and kind == "TYPE_UINT8":
        return image, NHWC_UINT8, (dims[0], dims[1])
    if len(dims) == 3 and dims[0] == 3 and kind in _FLOAT_INPUTS:
        return image, _FLOAT_INPUTS[kind], (dims[1], dims[2])
    raise ValueError(
        f"input {image['name']!r} is {kind} {dims} (max_batch_size {max_batch_size}); expected UINT8 [H, W, 3] "
        "or FP32/FP16 [3, H, W] with fixed H and W"
    )


def _output(outputs: list[dict], max_batch_size: int, num_classes: int | None) -> tuple[str, str, list[int]]:
    """(name, layout, per-image dims): server-side detections, or the one raw output whose shape tells."""
    shapes = {o["name"]: [int(d) for d in o.get("dims", [])] for o in outputs}
    if set(SERVER_OUTPUTS) <= set(shapes):
        return DETECTIONS, NMS, shapes[DETECTIONS]
    if len(outputs) != 1:
        raise ValueError(f"cannot tell which output holds the boxes; outputs seen: {shapes}")
    name = outputs[0]["name"]
    dims = shapes[name]
    if max_batch_size < 1 and len(dims) == 3 and dims[0] in (1, -1):
        dims = dims[1:]
    return name, guess_layout(dims, num_classes), dims


def to_model_input(batch: np.ndarray, input_format: str) -> np.ndarray:
    """A letterboxed uint8 RGB batch [N,H,W,3] as the model's image input wants it (NCHW float in [0, 1] for a
    plain Ultralytics export)."""
    if input_format == NHWC_UINT8:
        return np.ascontiguousarray(batch)
    # order="C": one contiguous buffer, so the runtime (or the socket) takes it without another copy.
    images = batch.transpose(0, 3, 1, 2).astype(INPUT_DTYPES[input_format], order="C")
    np.divide(images, 255, out=images)
    return images
