"""Write the GPU model repository: the same model name and tensor contract as the embedded CPU server.

    .venv/bin/python deploy/gpu/make_repository.py --onnx yolo11n.onnx --out /models [--max-batch-size 16]

Three entries (see docs/deploy-gpu.md):
- `<name>_infer`: the ONNX with a UINT8 NHWC input (Transpose + Cast + Div baked in front), served by Triton's
  ONNX Runtime backend on the GPU with the TensorRT accelerator in FP16 and dynamic batching;
- `<name>_post`: decode + NMS per image (this project's python model in its post-processing stage, CPU);
- `<name>`: the ensemble clients call: `images`, `confidence`, `iou`, `class_mask` in; `detections`,
  `num_detections` out. NMS runs per request after the batcher split the batch, so batching cannot mix frames.

`--cpu-check` serves the inference step with the python backend on CPU instead (same wrapped ONNX, same
post-processing step, same ensemble): how the tests run this profile without a GPU.
"""

import argparse
import ast
import json
import shutil
import sys
from pathlib import Path

import onnx
from onnx import TensorProto, helper

ROOT = Path(__file__).resolve().parents[2]
PYTHON_MODEL = ROOT / "triton" / "models" / "yolo" / "1" / "model.py"
YOLO_SOURCE = ROOT / "workers" / "yolo.py"
sys.path.insert(0, str(ROOT))

from workers.yolo import guess_layout  # noqa: E402


def wrap_uint8(model: onnx.ModelProto) -> onnx.ModelProto:
    """Give the graph a UINT8 [N,H,W,3] input named `images`; the float NCHW input becomes internal."""
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


def _facts(model: onnx.ModelProto) -> tuple[int, int, list[int], list[str]]:
    dims = model.graph.input[0].type.tensor_type.shape.dim
    out = [d.dim_value or -1 for d in model.graph.output[0].type.tensor_type.shape.dim][1:]
    raw = {p.key: p.value for p in model.metadata_props}.get("names", "{}")
    parsed = ast.literal_eval(raw)
    names = [str(parsed[k]) for k in sorted(parsed)] if isinstance(parsed, dict) else [str(n) for n in parsed]
    return dims[2].dim_value, dims[3].dim_value, out, names


def _infer_config(args: argparse.Namespace, name: str, out_dims: list[int], height: int, width: int) -> str:
    dims = ", ".join(str(d) for d in out_dims)
    head = [f'name: "{name}"', f"max_batch_size: {args.max_batch_size}"]
    if args.cpu_check:
        head += ['backend: "python"', "instance_group [{ kind: KIND_CPU, count: 1 }]",
                 'parameters { key: "onnx_path" value: { string_value: "1/model.onnx" } }',
                 'parameters { key: "postprocess" value: { string_value: "raw" } }']  # fmt: skip
    else:
        head += ['platform: "onnxruntime_onnx"', f"instance_group [{{ kind: KIND_GPU, count: {args.instances} }}]",
                 _TENSORRT_FP16]  # fmt: skip
    return "\n".join([
        *head,
        f"dynamic_batching {{ preferred_batch_size: [ {args.max_batch_size // 2}, {args.max_batch_size} ] "
        f"max_queue_delay_microseconds: {args.queue_delay_us} }}",
        f'input [{{ name: "images", data_type: TYPE_UINT8, dims: [{height}, {width}, 3] }}]',
        f'output [{{ name: "output0", data_type: TYPE_FP32, dims: [{dims}] }}]',
    ]) + "\n"  # fmt: skip


_TENSORRT_FP16 = """optimization { execution_accelerators { gpu_execution_accelerator: [ {
  name: "tensorrt"
  parameters { key: "precision_mode" value: "FP16" }
  parameters { key: "max_workspace_size_bytes" value: "2147483648" }
  parameters { key: "trt_engine_cache_enable" value: "1" }
  parameters { key: "trt_engine_cache_path" value: "/tmp/trt_cache" }
} ] } }"""


def _post_config(args: argparse.Namespace, name: str, out_dims: list[int], layout: str, classes: int) -> str:
    dims = ", ".join(str(d) for d in out_dims)
    return f"""name: "{name}"
backend: "python"
max_batch_size: {args.max_batch_size}
dynamic_batching {{ max_queue_delay_microseconds: 0 }}
instance_group [{{ kind: KIND_CPU, count: {args.post_instances} }}]
input [
  {{ name: "output0", data_type: TYPE_FP32, dims: [{dims}] }},
  {{ name: "confidence", data_type: TYPE_FP32, dims: [1] }},
  {{ name: "iou", data_type: TYPE_FP32, dims: [1] }},
  {{ name: "class_mask", data_type: TYPE_BOOL, dims: [{classes}] }}
]
output [
  {{ name: "detections", data_type: TYPE_FP32, dims: [-1, 6] }},
  {{ name: "num_detections", data_type: TYPE_INT32, dims: [1] }}
]
parameters {{ key: "stage" value: {{ string_value: "postprocess" }} }}
parameters {{ key: "layout" value: {{ string_value: "{layout}" }} }}
"""


def _ensemble_config(args: argparse.Namespace, height: int, width: int, names: list[str]) -> str:
    name = args.model_name
    class_names = json.dumps(json.dumps(names))
    return f"""name: "{name}"
platform: "ensemble"
max_batch_size: {args.max_batch_size}
input [
  {{ name: "images", data_type: TYPE_UINT8, dims: [{height}, {width}, 3] }},
  {{ name: "confidence", data_type: TYPE_FP32, dims: [1] }},
  {{ name: "iou", data_type: TYPE_FP32, dims: [1] }},
  {{ name: "class_mask", data_type: TYPE_BOOL, dims: [{len(names)}] }}
]
output [
  {{ name: "detections", data_type: TYPE_FP32, dims: [-1, 6] }},
  {{ name: "num_detections", data_type: TYPE_INT32, dims: [1] }}
]
ensemble_scheduling {{ step [
  {{ model_name: "{name}_infer" model_version: -1
     input_map {{ key: "images" value: "images" }} output_map {{ key: "output0" value: "raw" }} }},
  {{ model_name: "{name}_post" model_version: -1
     input_map {{ key: "output0" value: "raw" }} input_map {{ key: "confidence" value: "confidence" }}
     input_map {{ key: "iou" value: "iou" }} input_map {{ key: "class_mask" value: "class_mask" }}
     output_map {{ key: "detections" value: "detections" }}
     output_map {{ key: "num_detections" value: "num_detections" }} }}
] }}
parameters {{ key: "class_names" value: {{ string_value: {class_names} }} }}
"""


def write(args: argparse.Namespace) -> Path:
    model = onnx.load(args.onnx)
    height, width, out_dims, names = _facts(model)
    layout = guess_layout(out_dims, len(names) or None)
    out, name = Path(args.out), args.model_name
    for entry, version_files in ((f"{name}_infer", {}), (f"{name}_post", {"model.py": PYTHON_MODEL,
                                                                          "yolo.py": YOLO_SOURCE}),
                                 (name, {})):  # fmt: skip
        (out / entry / "1").mkdir(parents=True, exist_ok=True)
        for file_name, source in version_files.items():
            shutil.copyfile(source, out / entry / "1" / file_name)
    onnx.save(wrap_uint8(model), str(out / f"{name}_infer" / "1" / "model.onnx"))
    if args.cpu_check:
        shutil.copyfile(PYTHON_MODEL, out / f"{name}_infer" / "1" / "model.py")
        shutil.copyfile(YOLO_SOURCE, out / f"{name}_infer" / "1" / "yolo.py")
    (out / f"{name}_infer" / "config.pbtxt").write_text(_infer_config(args, f"{name}_infer", out_dims, height, width))
    (out / f"{name}_post" / "config.pbtxt").write_text(_post_config(args, f"{name}_post", out_dims, layout,
                                                                    len(names)))  # fmt: skip
    (out / name / "config.pbtxt").write_text(_ensemble_config(args, height, width, names))
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", required=True, help="YOLO ONNX export with a dynamic batch axis")
    parser.add_argument("--out", required=True, help="model repository directory")
    parser.add_argument("--model-name", default="yolo")
    parser.add_argument("--max-batch-size", type=int, default=16)
    parser.add_argument("--queue-delay-us", type=int, default=3000)
    parser.add_argument("--instances", type=int, default=2, help="GPU instances of the inference step")
    parser.add_argument("--post-instances", type=int, default=4, help="CPU instances of the NMS step")
    parser.add_argument("--cpu-check", action="store_true", help="python backend on CPU for the inference step")
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(write(parse_args()))
