"""Triton python-backend model: raw YOLO output from ONNX Runtime on CPU.

Runs inside the Triton venv (numpy 1.x; the stub's pybind11 breaks on numpy 2). Contract:
`images` UINT8 [N,H,W,3] RGB letterboxed -> `output0` FP32 [N,4+C,A], exactly as the ONNX gives it.
"""

import json
import logging

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils

logger = logging.getLogger(__name__)

_ORT_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


def _parameter(config: dict, key: str, default: str | None = None) -> str:
    value = config.get("parameters", {}).get(key, {}).get("string_value", default)
    if value is None:
        raise ValueError(f"config.pbtxt lacks parameter {key!r}")
    return value


def _session(onnx_path: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning worker threads burn the cores that the clients and the other instances need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return ort.InferenceSession(onnx_path, sess_options=options, providers=["CPUExecutionProvider"])


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        onnx_path = _parameter(config, "onnx_path")
        threads = int(_parameter(config, "ort_threads", "2"))
        self._session = _session(onnx_path, threads)
        onnx_input = self._session.get_inputs()[0]
        self._onnx_input = onnx_input.name
        self._onnx_output = self._session.get_outputs()[0].name
        self._onnx_dtype = _ORT_DTYPES.get(onnx_input.type, np.float32)
        batch_dim = onnx_input.shape[0]
        # A static-batch export (often 1) cannot take the concatenated batch in one run.
        self._chunk = batch_dim if isinstance(batch_dim, int) and batch_dim > 0 else None
        logger.info("Loaded %s (threads=%s, static batch=%s)", onnx_path, threads, self._chunk)

    def execute(self, requests: list) -> list:
        arrays, responses = [], [None] * len(requests)
        for index, request in enumerate(requests):
            try:
                arrays.append((index, _input_array(request)))
            except Exception as exc:  # noqa: BLE001 - one bad request must not fail its batch mates
                responses[index] = _error(exc)
        if arrays:
            self._answer(arrays, responses)
        return responses

    def _answer(self, arrays: list, responses: list) -> None:
        try:
            outputs = self._run(np.concatenate([array for _, array in arrays]))
        except Exception as exc:  # noqa: BLE001 - every request in the failed run gets the error
            for index, _ in arrays:
                responses[index] = _error(exc)
            return
        start = 0
        for index, array in arrays:
            stop = start + len(array)
            tensor = pb_utils.Tensor("output0", outputs[start:stop])
            responses[index] = pb_utils.InferenceResponse(output_tensors=[tensor])
            start = stop

    def _run(self, batch: np.ndarray) -> np.ndarray:
        # NHWC uint8 -> NCHW float in [0, 1]; order="C" so ORT gets a contiguous buffer without another copy.
        images = batch.transpose(0, 3, 1, 2).astype(self._onnx_dtype, order="C")
        np.divide(images, 255, out=images)
        step = self._chunk or len(images)
        parts = [
            self._session.run([self._onnx_output], {self._onnx_input: images[i : i + step]})[0]
            for i in range(0, len(images), step)
        ]
        output = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return np.ascontiguousarray(output, dtype=np.float32)

    def finalize(self) -> None:
        self._session = None


def _input_array(request) -> np.ndarray:
    tensor = pb_utils.get_input_tensor_by_name(request, "images")
    if tensor is None:
        raise ValueError("request has no input tensor 'images'")
    array = tensor.as_numpy()
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"'images' must be UINT8 [N,H,W,3], got {array.dtype} {list(array.shape)}")
    return array


def _error(exc: Exception):
    logger.warning("Inference request failed: %s", exc)
    return pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(f"yolo model: {exc}"))
