"""The model-repository writer: entries that serve a YOLO ONNX file under this project's contract.

    python yolo_triton/served/prepare_repository.py --onnx yolo11n.onnx --out var/triton/repository \
        [--profile cpu|gpu]

Profiles (the same model name and tensor contract, yolo_triton/contract.py):
- cpu (default; the embedded server, the tests, `manage.py import_model`): one entry `<name>`, this project's
  python-backend model (yolo_triton/served/models/yolo/1/model.py) running ONNX Runtime on CPU, decoding and
  suppressing per image (`--postprocess server`) or serving the raw output (`--postprocess raw`); a square Ultralytics
  export is also served at 16:9 and 4:3 input sizes (yolo_triton/reshape.py; `--no-rect-inputs` turns it off);
- gpu (docs/deploy-gpu.md): `<name>_infer`, the ONNX with a UINT8 NHWC input baked in front, on Triton's ONNX
  Runtime backend with TensorRT FP16; `<name>_post`, the python model's post-processing stage; and the
  ensemble `<name>`. `--cpu-check` serves the inference step with the python backend on CPU instead (how the
  tests check this profile without a GPU).
Reading the ONNX needs onnxruntime (both venvs have it); the gpu profile also needs `onnx` (the app venv).
"""

import argparse
import json
import logging
import shutil
from pathlib import Path

from yolo_triton import pbtxt
from yolo_triton.contract import (
    PARAM_INPUT_SHAPES,
    PARAM_ONNX_PATH,
    PARAM_ORT_THREADS,
    OnnxInfo,
    UnknownLayoutError,
    class_count,
    fit_names,
    guess_layout,
    parse_names,
    shape_key,
)
from yolo_triton.reshape import write_variants

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
MODEL_SOURCE = ROOT / "yolo_triton" / "served" / "models" / "yolo" / "1" / "model.py"
# What the python model imports, copied beside it: it cannot import the rest of the project.
MODEL_SAFE_MODULES = ("__init__.py", "contract.py", "decode.py")
ONNX_IN_ENTRY = "1/model.onnx"  # where --copy-onnx puts the file, relative to the model directory
PROFILE_DEFAULTS = {
    "cpu": {"max_batch_size": 8, "queue_delay_us": 2000, "instance_count": 1},
    "gpu": {"max_batch_size": 16, "queue_delay_us": 3000, "instance_count": 2},
}


def read_onnx(onnx_path: Path) -> OnnxInfo:
    import onnxruntime as ort

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
        layout = guess_layout(dims, len(names) or None)
    except UnknownLayoutError as exc:
        raise SystemExit(f"{onnx_path}: output {out_shape}: {exc}") from exc
    batch = in_shape[0] if _fixed(in_shape[0]) else None
    return OnnxInfo(batch, height, width, dims, layout, fit_names(names, class_count(layout, dims)))


def _fixed(dim: object) -> bool:
    return isinstance(dim, int) and dim > 0


def copy_model_code(version_dir: Path) -> None:
    """model.py and the modules it imports, into a model's version directory."""
    version_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MODEL_SOURCE, version_dir / "model.py")
    package = version_dir / "yolo_triton"
    package.mkdir(exist_ok=True)
    for name in MODEL_SAFE_MODULES:
        shutil.copyfile(Path(__file__).with_name(name), package / name)


def write_cpu(args: argparse.Namespace, info: OnnxInfo) -> Path:
    if info.batch == 1 and args.max_batch_size > 1:
        logger.warning("%s has a static batch of 1: max_batch_size %s -> 1", args.onnx, args.max_batch_size)
        args.max_batch_size = 1
    model_dir = Path(args.out) / args.model_name
    copy_model_code(model_dir / "1")
    if args.copy_onnx:
        shutil.copyfile(args.onnx, model_dir / ONNX_IN_ENTRY)
    extra = {PARAM_ONNX_PATH: ONNX_IN_ENTRY if args.copy_onnx else str(Path(args.onnx).resolve()),
             PARAM_ORT_THREADS: str(args.ort_threads)}  # fmt: skip
    variants = write_variants(args.onnx, model_dir / "1") if args.rect_inputs else {}
    if variants:
        shapes = {shape_key(info.height, info.width): extra[PARAM_ONNX_PATH]}
        shapes |= {shape_key(*shape): f"1/{name}" for shape, name in variants.items()}
        extra[PARAM_INPUT_SHAPES] = json.dumps(shapes)
        logger.info("Serving %s also at %s", args.model_name, ", ".join(shape_key(*shape) for shape in variants))
    config_path = model_dir / "config.pbtxt"
    config_path.write_text(pbtxt.cpu_model(
        info, name=args.model_name, max_batch_size=args.max_batch_size, queue_delay_us=args.queue_delay_us,
        instance_count=args.instance_count, server_side=args.postprocess == "server", extra=extra,
    ))  # fmt: skip
    return config_path


def write_gpu(args: argparse.Namespace, info: OnnxInfo) -> Path:
    """Three entries: `<name>_infer`, `<name>_post` and the ensemble `<name>`; returns the ensemble's config."""
    import onnx

    if info.batch is not None:
        raise SystemExit(f"{args.onnx}: the GPU profile needs a dynamic batch axis, got a static batch of {info.batch}")
    out, name, batch = Path(args.out), args.model_name, args.max_batch_size
    infer, post, ensemble = out / f"{name}_infer", out / f"{name}_post", out / name
    (infer / "1").mkdir(parents=True, exist_ok=True)
    (ensemble / "1").mkdir(parents=True, exist_ok=True)
    onnx.save(wrap_uint8(onnx.load(args.onnx)), str(infer / ONNX_IN_ENTRY))
    copy_model_code(post / "1")
    if args.cpu_check:
        copy_model_code(infer / "1")
    (infer / "config.pbtxt").write_text(pbtxt.gpu_infer(
        info, name=infer.name, max_batch_size=batch, queue_delay_us=args.queue_delay_us,
        instances=args.instance_count, cpu_check=args.cpu_check,
    ))  # fmt: skip
    (post / "config.pbtxt").write_text(pbtxt.gpu_post(info, name=post.name, max_batch_size=batch,
                                                      instances=args.post_instances))  # fmt: skip
    (ensemble / "config.pbtxt").write_text(pbtxt.gpu_ensemble(info, name=name, max_batch_size=batch))
    return ensemble / "config.pbtxt"


def wrap_uint8(model):  # noqa: ANN001, ANN201 - onnx.ModelProto, imported only for this profile
    """Give the graph a UINT8 [N,H,W,3] input named `images`; the float NCHW input becomes internal, so the
    GPU normalises and only one byte per pixel crosses PCIe."""
    from onnx import TensorProto, helper

    graph = model.graph
    old = graph.input[0]
    dims = old.type.tensor_type.shape.dim
    height, width = dims[2].dim_value, dims[3].dim_value
    inner = "images_f32_nchw"
    for node in graph.node:
        node.input[:] = [inner if name == old.name else name for name in node.input]
    graph.input.remove(old)
    graph.input.insert(0, helper.make_tensor_value_info("images", TensorProto.UINT8, ["batch", height, width, 3]))
    graph.initializer.append(helper.make_tensor("u8_scale", TensorProto.FLOAT, [], [255.0]))
    graph.node.insert(0, helper.make_node("Div", ["images_f32_nhwc_255", "u8_scale"], [inner]))
    graph.node.insert(0, helper.make_node("Cast", ["images_nchw_u8"], ["images_f32_nhwc_255"], to=TensorProto.FLOAT))
    graph.node.insert(0, helper.make_node("Transpose", ["images"], ["images_nchw_u8"], perm=[0, 3, 1, 2]))
    for output in graph.output:
        output.type.tensor_type.shape.dim[0].Clear()
        output.type.tensor_type.shape.dim[0].dim_param = "batch"
    return model


def write_repository(args: argparse.Namespace) -> Path:
    info = read_onnx(Path(args.onnx))
    if info.batch is not None and info.batch != 1:
        raise SystemExit(f"{args.onnx}: static batch {info.batch} is unsupported; export with batch 1 or dynamic")
    return write_gpu(args, info) if args.profile == "gpu" else write_cpu(args, info)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Write Triton model-repository entries for a YOLO ONNX file.")
    parser.add_argument("--onnx", required=True, help="YOLO ONNX file (input images [N,3,H,W] with fixed H, W)")
    parser.add_argument("--out", required=True, help="model repository directory to write into")
    parser.add_argument("--model-name", default="yolo")
    parser.add_argument("--profile", choices=sorted(PROFILE_DEFAULTS), default="cpu")
    parser.add_argument("--max-batch-size", type=int, help="default: 8 (cpu), 16 (gpu)")
    parser.add_argument("--queue-delay-us", type=int, help="dynamic batching delay; default: 2000 (cpu), 3000 (gpu)")
    parser.add_argument("--instance-count", "--instances", type=int,
                        help="model instances (gpu: of the inference step); default: 1 (cpu), 2 (gpu)")  # fmt: skip
    parser.add_argument("--ort-threads", type=int, default=2, help="cpu: ONNX Runtime threads per instance")
    parser.add_argument("--postprocess", choices=("server", "raw"), default="server",
                        help="cpu: decode + NMS in the model (default) or serve the raw ONNX output")  # fmt: skip
    parser.add_argument("--copy-onnx", action="store_true",
                        help="cpu: copy the ONNX into the entry (self-contained, what model imports use)")  # fmt: skip
    parser.add_argument("--no-rect-inputs", dest="rect_inputs", action="store_false",
                        help="cpu: serve only the square input (default: also 16:9 and 4:3 variants when the export "
                             "allows, yolo_triton/reshape.py)")  # fmt: skip
    parser.add_argument("--post-instances", type=int, default=4, help="gpu: CPU instances of the NMS step")
    parser.add_argument("--cpu-check", action="store_true", help="gpu: python backend on CPU for the inference step")
    args = parser.parse_args(argv)
    for key, value in PROFILE_DEFAULTS[args.profile].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = parse_args(argv)
    if not Path(args.onnx).is_file():
        raise SystemExit(f"ONNX file not found: {args.onnx}")
    logger.info("Wrote %s", write_repository(args))
    return 0
