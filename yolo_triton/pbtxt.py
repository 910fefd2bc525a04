"""config.pbtxt text for the entries yolo_triton/repository.py writes, built from the names in contract.py."""

import json

from yolo_triton.contract import (
    CLASS_MASK,
    CONFIDENCE,
    DETECTIONS,
    IMAGES,
    IOU,
    NUM_DETECTIONS,
    PARAM_CLASS_NAMES,
    PARAM_INPUT_SHAPES,
    PARAM_LAYOUT,
    PARAM_ONNX_PATH,
    PARAM_POSTPROCESS,
    PARAM_STAGE,
    RAW_OUTPUT,
    OnnxInfo,
)

TENSORRT_FP16 = """optimization { execution_accelerators { gpu_execution_accelerator: [ {
  name: "tensorrt"
  parameters { key: "precision_mode" value: "FP16" }
  parameters { key: "max_workspace_size_bytes" value: "2147483648" }
  parameters { key: "trt_engine_cache_enable" value: "1" }
  parameters { key: "trt_engine_cache_path" value: "/tmp/trt_cache" }
} ] } }"""


def quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def tensor(name: str, data_type: str, dims: list[int], *, optional: bool = False) -> str:
    flag = ", optional: true" if optional else ""
    return f"{{ name: {quoted(name)}, data_type: TYPE_{data_type}, dims: [{', '.join(map(str, dims))}]{flag} }}"


def tensors(kind: str, entries: list[str]) -> list[str]:
    """An `input [...]` or `output [...]` block."""
    return [f"{kind} [", *(f"  {entry}," for entry in entries[:-1]), f"  {entries[-1]}", "]"]


def parameters(values: dict[str, str]) -> list[str]:
    return [f"parameters {{ key: {quoted(key)} value: {{ string_value: {quoted(value)} }} }}"
            for key, value in values.items()]  # fmt: skip


def image_input(info: OnnxInfo, *, any_size: bool = False) -> str:
    """`any_size`: the model serves several input sizes (listed by parameter input_shapes)."""
    return tensor(IMAGES, "UINT8", [-1, -1, 3] if any_size else [info.height, info.width, 3])


def raw_output(info: OnnxInfo, *, any_size: bool = False) -> str:
    dims = list(info.output_dims)
    if any_size:  # the anchor axis (the long one) grows with the input
        dims[dims.index(max(dims))] = -1
    return tensor(RAW_OUTPUT, "FP32", dims)


def threshold_inputs(info: OnnxInfo, *, optional: bool) -> list[str]:
    """Per-image `confidence`, `iou` and `class_mask` (an ensemble cannot declare them optional)."""
    classes = max(len(info.class_names), 1)
    return [tensor(CONFIDENCE, "FP32", [1], optional=optional), tensor(IOU, "FP32", [1], optional=optional),
            tensor(CLASS_MASK, "BOOL", [classes], optional=optional)]  # fmt: skip


def detection_outputs() -> list[str]:
    return tensors("output", [tensor(DETECTIONS, "FP32", [-1, 6]), tensor(NUM_DETECTIONS, "INT32", [1])])


def head(name: str, runtime: str, max_batch_size: int) -> list[str]:
    """Name, `backend: "python"` / `platform: "..."`, and the batch limit."""
    return [f"name: {quoted(name)}", runtime, f"max_batch_size: {max_batch_size}"]


def cpu_model(info: OnnxInfo, *, name: str, max_batch_size: int, queue_delay_us: int, instance_count: int,
              server_side: bool, extra: dict[str, str]) -> str:  # fmt: skip
    """The embedded server's one entry: python backend, ONNX Runtime on CPU, decode + NMS inside or raw out."""
    lines = head(name, 'backend: "python"', max_batch_size)
    if max_batch_size > 1:
        lines.append(f"dynamic_batching {{ max_queue_delay_microseconds: {queue_delay_us} }}")
    lines.append(f"instance_group [{{ kind: KIND_CPU, count: {instance_count} }}]")
    any_size = PARAM_INPUT_SHAPES in extra
    images = image_input(info, any_size=any_size)
    if server_side:
        lines += tensors("input", [images, *threshold_inputs(info, optional=True)]) + detection_outputs()
    else:
        lines += tensors("input", [images]) + tensors("output", [raw_output(info, any_size=any_size)])
    values = {**extra, PARAM_CLASS_NAMES: json.dumps(info.class_names),
              PARAM_POSTPROCESS: "server" if server_side else "raw", PARAM_LAYOUT: info.layout}  # fmt: skip
    return "\n".join(lines + parameters(values)) + "\n"


def gpu_infer(info: OnnxInfo, *, name: str, max_batch_size: int, queue_delay_us: int, instances: int,
              cpu_check: bool) -> str:  # fmt: skip
    """The inference step: ONNX Runtime on GPU with TensorRT FP16 (or the python backend on CPU to check)."""
    if cpu_check:
        lines = head(name, 'backend: "python"', max_batch_size) + ["instance_group [{ kind: KIND_CPU, count: 1 }]"]
        lines += parameters({PARAM_ONNX_PATH: "1/model.onnx", PARAM_POSTPROCESS: "raw"})
    else:
        lines = head(name, 'platform: "onnxruntime_onnx"', max_batch_size)
        lines += [f"instance_group [{{ kind: KIND_GPU, count: {instances} }}]", TENSORRT_FP16]
    lines.append(f"dynamic_batching {{ preferred_batch_size: [ {max_batch_size // 2}, {max_batch_size} ] "
                 f"max_queue_delay_microseconds: {queue_delay_us} }}")  # fmt: skip
    lines += tensors("input", [image_input(info)]) + tensors("output", [raw_output(info)])
    return "\n".join(lines) + "\n"


def gpu_post(info: OnnxInfo, *, name: str, max_batch_size: int, instances: int) -> str:
    """The NMS step: raw output in, detections out, per request after the batcher split the batch."""
    lines = head(name, 'backend: "python"', max_batch_size)
    lines += ["dynamic_batching { max_queue_delay_microseconds: 0 }",
              f"instance_group [{{ kind: KIND_CPU, count: {instances} }}]"]  # fmt: skip
    lines += tensors("input", [raw_output(info), *threshold_inputs(info, optional=False)]) + detection_outputs()
    lines += parameters({PARAM_STAGE: "postprocess", PARAM_LAYOUT: info.layout})
    return "\n".join(lines) + "\n"


def gpu_ensemble(info: OnnxInfo, *, name: str, max_batch_size: int) -> str:
    """What clients call: the inference step, then the NMS step, under the default model's contract."""
    lines = head(name, 'platform: "ensemble"', max_batch_size)
    lines += tensors("input", [image_input(info), *threshold_inputs(info, optional=False)]) + detection_outputs()
    post_inputs = "".join(f" input_map {{ key: {quoted(key)} value: {quoted(key)} }}"
                          for key in (CONFIDENCE, IOU, CLASS_MASK))  # fmt: skip
    post_outputs = "".join(f" output_map {{ key: {quoted(key)} value: {quoted(key)} }}"
                           for key in (DETECTIONS, NUM_DETECTIONS))  # fmt: skip
    lines += [
        "ensemble_scheduling { step [",
        f"  {{ model_name: {quoted(name + '_infer')} model_version: -1"
        f" input_map {{ key: {quoted(IMAGES)} value: {quoted(IMAGES)} }}"
        f" output_map {{ key: {quoted(RAW_OUTPUT)} value: \"raw\" }} }},",
        f"  {{ model_name: {quoted(name + '_post')} model_version: -1"
        f" input_map {{ key: {quoted(RAW_OUTPUT)} value: \"raw\" }}{post_inputs}{post_outputs} }}",
        "] }",
    ]
    lines += parameters({PARAM_CLASS_NAMES: json.dumps(info.class_names)})
    return "\n".join(lines) + "\n"
