"""Checks a user's YOLO ONNX file before it goes near Triton, and makes its batch axis dynamic if it can.

Whatever is wrong raises ImportRefusedError with a reason an operator can act on.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yolo_triton.contract import parse_names

logger = logging.getLogger(__name__)
BATCH_DIM = "batch"


class ImportRefusedError(ValueError):
    """The file cannot be served; nothing was changed."""


@dataclass(frozen=True)
class OnnxReport:
    height: int
    width: int
    static_batch: int | None  # None: the batch axis is dynamic already
    output_shape: list[int | str]
    class_names: list[str]


def inspect(path: Path) -> OnnxReport:
    """Input [N,3,H,W] with fixed H and W, one output of rank 3, readable class names."""
    import onnx

    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001 - protobuf and checker errors have many types
        raise ImportRefusedError(f"not a valid ONNX model: {str(exc)[:300]}") from exc
    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    if len(inputs) != 1 or len(model.graph.output) < 1:
        raise ImportRefusedError(f"expected one image input and a detection output, got {len(inputs)} inputs "
                            f"and {len(model.graph.output)} outputs")  # fmt: skip
    shape = _shape(inputs[0])
    if len(shape) != 4 or shape[1] != 3 or not all(isinstance(d, int) and d > 0 for d in shape[2:]):
        raise ImportRefusedError(f"input {inputs[0].name!r} is {shape}; expected [N, 3, H, W] with fixed H and W "
                            "(export with a fixed imgsz)")  # fmt: skip
    out_shape = _shape(model.graph.output[0])
    if len(out_shape) != 3:
        raise ImportRefusedError(f"output {model.graph.output[0].name!r} is {out_shape}; expected [N, 4+C, A], "
                            "[N, A, 5+C] or [N, K, 6]")  # fmt: skip
    batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
    names = parse_names({p.key: p.value for p in model.metadata_props}.get("names"))
    return OnnxReport(shape[2], shape[3], batch, out_shape, names)


def _shape(value) -> list[int | str]:  # noqa: ANN001 - onnx.ValueInfoProto
    dims = value.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in dims]


def make_batch_dynamic(source: Path, target: Path) -> str | None:
    """Write `source` with a dynamic batch axis to `target`; None on success, else why the graph refuses.

    Changing the declared shapes is easy; whether the graph really batches is not (a Reshape may bake in 1,
    dynamic quantisation computes one scale over the whole batch): a batch of two must run and give each
    image's own output.
    """
    import onnx

    model = onnx.load(str(source))
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].Clear()
            dims[0].dim_param = BATCH_DIM
    del model.graph.value_info[:]  # inferred intermediate shapes may pin the batch to 1
    onnx.save(model, str(target))
    try:
        return _check_batching(target)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        return f"a batch of 2 does not run: {str(exc).splitlines()[0][:300]}"


def _check_batching(path: Path) -> str | None:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # the failure is reported as the reason; ORT's own error log is noise
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    model_input = session.get_inputs()[0]
    height, width = int(model_input.shape[2]), int(model_input.shape[3])
    rng = np.random.default_rng(0)
    images = rng.random((2, 3, height, width), dtype=np.float32)
    together = session.run(None, {model_input.name: images})[0]
    alone = [session.run(None, {model_input.name: images[i : i + 1]})[0] for i in range(2)]
    if together.shape[0] != 2 or not all(np.allclose(together[i], alone[i][0], atol=1e-3) for i in range(2)):
        return "a batch of 2 gives other outputs than each image alone (e.g. dynamic quantisation)"
    return None
