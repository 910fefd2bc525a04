"""Write a Triton model repository for a YOLO ONNX file served by the python backend on CPU.

Run with the Triton venv's python (it needs onnxruntime to read the model's shapes and class names):

    .venv-triton/bin/python triton/prepare_repository.py --onnx yolo11n.onnx --out var/triton/repo
"""

import argparse
import ast
import json
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

logger = logging.getLogger(__name__)
MODEL_SOURCE = Path(__file__).resolve().parent / "models" / "yolo" / "1" / "model.py"


@dataclass(frozen=True)
class OnnxInfo:
    batch: int | None  # None when the batch axis is dynamic
    height: int
    width: int
    channels: int | None  # 4 + number of classes, None when not fixed
    anchors: int | None
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
    if len(out_shape) != 3:
        raise SystemExit(f"{onnx_path}: expected output [N,4+C,A], got {out_shape}")
    channels = out_shape[1] if _fixed(out_shape[1]) else None
    metadata = session.get_modelmeta().custom_metadata_map
    names = _class_names(metadata.get("names"), (channels - 4) if channels else None)
    batch = in_shape[0] if _fixed(in_shape[0]) else None
    anchors = out_shape[2] if _fixed(out_shape[2]) else None
    return OnnxInfo(batch, height, width, channels or 4 + len(names), anchors, names)


def _fixed(dim: object) -> bool:
    return isinstance(dim, int) and dim > 0


def _class_names(raw: str | None, count: int | None) -> list[str]:
    """Ultralytics stores names as a Python dict literal: "{0: 'person', 1: 'bicycle', ...}"."""
    try:
        parsed = ast.literal_eval(raw) if raw else None
    except (ValueError, SyntaxError):
        logger.warning("Unreadable 'names' metadata; using class<i> names")
        parsed = None
    if isinstance(parsed, dict):
        names = [str(parsed[key]) for key in sorted(parsed)]
    elif isinstance(parsed, list):
        names = [str(name) for name in parsed]
    else:
        names = []
    if count is not None and len(names) != count:
        if names:
            logger.warning("Metadata lists %s names but the model outputs %s classes", len(names), count)
        names = [f"class{i}" for i in range(count)]
    return names


def _pbtxt_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render_config(info: OnnxInfo, args: argparse.Namespace) -> str:
    parameters = {
        "onnx_path": str(Path(args.onnx).resolve()),
        "ort_threads": str(args.ort_threads),
        "class_names": json.dumps(info.class_names),
    }
    lines = [
        f"name: {_pbtxt_string(args.model_name)}",
        'backend: "python"',
        f"max_batch_size: {args.max_batch_size}",
    ]
    if args.max_batch_size > 1:
        lines.append(f"dynamic_batching {{ max_queue_delay_microseconds: {args.queue_delay_us} }}")
    lines += [
        f"instance_group [{{ kind: KIND_CPU, count: {args.instance_count} }}]",
        f'input [{{ name: "images", data_type: TYPE_UINT8, dims: [{info.height}, {info.width}, 3] }}]',
        f'output [{{ name: "output0", data_type: TYPE_FP32, dims: [{info.channels}, {info.anchors or -1}] }}]',
    ]
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
