"""Write a Triton model repository entry for a YOLO ONNX file served by the python backend on CPU.

Run with the Triton venv's python (it needs onnxruntime to read the model's shapes and class names):

    .venv-triton/bin/python triton/prepare_repository.py --onnx yolo11n.onnx --out var/triton/repo

By default the model decodes boxes and runs NMS itself (`--postprocess server`): a response is a few KB of
detections instead of megabytes of raw scores. `--postprocess raw` serves the ONNX output unchanged.
"""

import argparse
import ast
import importlib.util
import json
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
MODEL_SOURCE = ROOT / "triton" / "models" / "yolo" / "1" / "model.py"
# One decode + NMS for client and server: the model imports this file, copied beside it.
YOLO_SOURCE = ROOT / "workers" / "yolo.py"
ONNX_IN_ENTRY = "1/model.onnx"  # where --copy-onnx puts the file, relative to the model directory


def _load_yolo():
    # By path: importing the `workers` package would pull in the app's dependencies (Django, OpenCV).
    spec = importlib.util.spec_from_file_location("_sv_yolo", YOLO_SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


yolo = _load_yolo()


@dataclass(frozen=True)
class OnnxInfo:
    batch: int | None  # None when the batch axis is dynamic
    height: int
    width: int
    output_dims: list[int]  # per image, -1 where not fixed
    layout: str
    class_names: list[str]


def read_onnx(onnx_path: Path) -> OnnxInfo:
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    in_shape = session.get_inputs()[0].shape
    out_shape = session.get_outputs()[0].shape
    if len(in_shape) != 4 or in_shape[1] != 3:
        raise SystemExit(f"{onnx_path}: expected input [N,3,H,W], got {in_shape}")
    height, width = in_shape[2], in_shape[3]
    if not (_fixed(height) and _fixed(width)):
        raise SystemExit(
            f"{onnx_path}: input spatial dims must be fixed, got H={height!r} W={width!r}; "
            "re-export with a fixed imgsz (e.g. `yolo export format=onnx imgsz=640 dynamic=False`)"
        )
    dims = [d if _fixed(d) else -1 for d in out_shape[1:]]
    names = parse_names(session.get_modelmeta().custom_metadata_map.get("names"))
    try:
        layout = yolo.guess_layout(dims, len(names) or None)
    except yolo.UnknownLayoutError as exc:
        raise SystemExit(f"{onnx_path}: output {out_shape}: {exc}") from exc
    names = _fit_names(names, _class_count(layout, dims))
    batch = in_shape[0] if _fixed(in_shape[0]) else None
    return OnnxInfo(batch, height, width, dims, layout, names)


def _fixed(dim: object) -> bool:
    return isinstance(dim, int) and dim > 0


def _class_count(layout: str, dims: list[int]) -> int | None:
    count = {"yolov8": dims[0] - 4, "yolov5": dims[1] - 5}.get(layout)
    return count if count is not None and count > 0 else None


def parse_names(raw: str | None) -> list[str]:
    """Ultralytics stores names as a Python dict literal: "{0: 'person', 1: 'bicycle', ...}"; JSON lists too."""
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


def _fit_names(names: list[str], count: int | None) -> list[str]:
    if count is not None and len(names) != count:
        if names:
            logger.warning("Metadata lists %s names but the model outputs %s classes", len(names), count)
        return [f"class{i}" for i in range(count)]
    return names


def _pbtxt_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _tensors(info: OnnxInfo, server_side: bool) -> list[str]:
    images = f'{{ name: "images", data_type: TYPE_UINT8, dims: [{info.height}, {info.width}, 3] }}'
    if not server_side:
        dims = ", ".join(str(d) for d in info.output_dims)
        return [f"input [{images}]", f'output [{{ name: "output0", data_type: TYPE_FP32, dims: [{dims}] }}]']
    classes = max(len(info.class_names), 1)
    return [
        "input [",
        f"  {images},",
        '  { name: "confidence", data_type: TYPE_FP32, dims: [1], optional: true },',
        '  { name: "iou", data_type: TYPE_FP32, dims: [1], optional: true },',
        f'  {{ name: "class_mask", data_type: TYPE_BOOL, dims: [{classes}], optional: true }}',
        "]",
        "output [",
        '  { name: "detections", data_type: TYPE_FP32, dims: [-1, 6] },',
        '  { name: "num_detections", data_type: TYPE_INT32, dims: [1] }',
        "]",
    ]


def render_config(info: OnnxInfo, args: argparse.Namespace) -> str:
    server_side = args.postprocess == "server"
    parameters = {
        "onnx_path": ONNX_IN_ENTRY if args.copy_onnx else str(Path(args.onnx).resolve()),
        "ort_threads": str(args.ort_threads),
        "class_names": json.dumps(info.class_names),
        "postprocess": args.postprocess,
        # What the ONNX itself outputs; the client reads the served layout from the outputs above.
        "layout": info.layout,
    }
    lines = [f"name: {_pbtxt_string(args.model_name)}", 'backend: "python"', f"max_batch_size: {args.max_batch_size}"]
    if args.max_batch_size > 1:
        lines.append(f"dynamic_batching {{ max_queue_delay_microseconds: {args.queue_delay_us} }}")
    lines.append(f"instance_group [{{ kind: KIND_CPU, count: {args.instance_count} }}]")
    lines += _tensors(info, server_side)
    lines += [
        f"parameters {{ key: {_pbtxt_string(key)} value: {{ string_value: {_pbtxt_string(value)} }} }}"
        for key, value in parameters.items()
    ]
    return "\n".join(lines) + "\n"


def write_repository(args: argparse.Namespace) -> Path:
    info = read_onnx(Path(args.onnx))
    if info.batch is not None and info.batch != 1:
        raise SystemExit(f"{args.onnx}: static batch {info.batch} is unsupported; export with batch 1 or dynamic")
    if info.batch == 1 and args.max_batch_size > 1:
        logger.warning("%s has a static batch of 1: max_batch_size %s -> 1", args.onnx, args.max_batch_size)
        args.max_batch_size = 1
    model_dir = Path(args.out) / args.model_name
    (model_dir / "1").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MODEL_SOURCE, model_dir / "1" / "model.py")
    shutil.copyfile(YOLO_SOURCE, model_dir / "1" / "yolo.py")
    if args.copy_onnx:
        shutil.copyfile(args.onnx, model_dir / ONNX_IN_ENTRY)
    config_path = model_dir / "config.pbtxt"
    config_path.write_text(render_config(info, args))
    return config_path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", required=True, help="YOLO ONNX file (input images [N,3,H,W] with fixed H, W)")
    parser.add_argument("--out", required=True, help="model repository directory to write into")
    parser.add_argument("--model-name", default="yolo")
    parser.add_argument("--max-batch-size", type=int, default=8)
    parser.add_argument("--queue-delay-us", type=int, default=2000)
    parser.add_argument("--instance-count", type=int, default=1)
    parser.add_argument("--ort-threads", type=int, default=2)
    parser.add_argument("--postprocess", choices=("server", "raw"), default="server",
                        help="decode + NMS in the model (default) or serve the raw ONNX output")  # fmt: skip
    parser.add_argument("--copy-onnx", action="store_true",
                        help="copy the ONNX into the entry (self-contained, what model imports use)")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = parse_args(argv)
    if not Path(args.onnx).is_file():
        raise SystemExit(f"ONNX file not found: {args.onnx}")
    config_path = write_repository(args)
    logger.info("Wrote %s", config_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
