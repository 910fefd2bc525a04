"""Triton python-backend model: YOLO on ONNX Runtime (CPU), with box decoding and NMS on the server.

Runs inside the Triton venv (numpy 1.x; the stub's pybind11 breaks on numpy 2). The tensor contract is
yolo_triton/contract.py:
- in:  `images` UINT8 [N,H,W,3] RGB letterboxed (normalised here); optional per image `confidence`, `iou`,
       `class_mask`.
- out, parameter postprocess = "server" (default): `detections` + `num_detections`: a few KB per frame.
- out, postprocess = "raw": `output0` FP32 exactly as the ONNX gives it (layout named by parameter `layout`).
- parameter input_shapes (JSON {"HxW": ONNX path}): the same weights at several input sizes (the rectangular
  variants of yolo_triton/reshape.py), one ONNX Runtime session each; a batch runs on the one of its size.
- parameter stage = "postprocess": no ONNX here; the raw `output0` comes in as an input from the inference
  step of an ensemble (the GPU profile), and detections go out as above.

Post-processing runs per image with that image's own thresholds, so requests merged by the dynamic batcher
get exactly what they would get alone. The `yolo_triton` package beside this file holds the project's
contract.py and decode.py, copied by the repository writer: one contract and one decode + NMS for the client
and the server.
"""

import json
import logging
import os

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils

from yolo_triton import contract
from yolo_triton.decode import decode_output

logger = logging.getLogger(__name__)

_ORT_FORMATS = {
    "tensor(float)": contract.NCHW_FLOAT32,
    "tensor(float16)": contract.NCHW_FLOAT16,
    "tensor(uint8)": contract.NHWC_UINT8,
}


def _parameter(config: dict, key: str, default: str | None = None) -> str:
    value = contract.config_parameter(config, key, default)
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
        self._server_side = _parameter(config, contract.PARAM_POSTPROCESS, "server") == "server"
        self._layout = _parameter(config, contract.PARAM_LAYOUT, contract.YOLOV8)
        self._max_detections = int(_parameter(config, contract.PARAM_MAX_DETECTIONS, "300"))
        self._session, self._sized = None, {}
        if _parameter(config, contract.PARAM_STAGE, "full") == "postprocess":
            logger.info("Post-processing step (layout %s)", self._layout)
            return
        # A relative path (imported models keep their ONNX inside the entry) is relative to the model directory.
        onnx_path = os.path.join(args["model_repository"], _parameter(config, contract.PARAM_ONNX_PATH))
        threads = int(_parameter(config, contract.PARAM_ORT_THREADS, "2"))
        self._session = _session(onnx_path, threads)
        paths = json.loads(_parameter(config, contract.PARAM_INPUT_SHAPES, "{}"))
        self._sized = {
            contract.parse_shape_key(key): _session(os.path.join(args["model_repository"], path), threads)
            for key, path in list(paths.items())[1:]  # the first is the default, self._session
        }  # fmt: skip
        onnx_input = self._session.get_inputs()[0]
        self._onnx_input = onnx_input.name
        self._onnx_output = self._session.get_outputs()[0].name
        # A UINT8 NHWC ONNX normalises itself (the GPU profile wraps exports that way).
        self._onnx_format = _ORT_FORMATS.get(onnx_input.type, contract.NCHW_FLOAT32)
        batch_dim = onnx_input.shape[0]
        # A static-batch export (often 1) cannot take the concatenated batch in one run.
        self._chunk = batch_dim if isinstance(batch_dim, int) and batch_dim > 0 else None
        logger.info("Loaded %s (threads=%s, static batch=%s, post-processing on server: %s, also at %s)",
                    onnx_path, threads, self._chunk, self._server_side, sorted(self._sized))  # fmt: skip

    def execute(self, requests: list) -> list:
        arrays, responses = [], [None] * len(requests)
        read = _input_array if self._session is not None else _raw_array
        for index, request in enumerate(requests):
            try:
                arrays.append((index, request, read(request)))
            except Exception as exc:  # noqa: BLE001 - one bad request must not fail its batch mates
                responses[index] = _error(exc)
        # The batcher merges only requests of one size; grouping keeps a mixed call right all the same.
        for size in {array.shape[1:] for _, _, array in arrays}:
            self._answer([entry for entry in arrays if entry[2].shape[1:] == size], responses)
        return responses

    def _answer(self, arrays: list, responses: list) -> None:
        try:
            outputs = self._run(np.concatenate([array for _, _, array in arrays]))
        except Exception as exc:  # noqa: BLE001 - every request in the failed run gets the error
            for index, _, _ in arrays:
                responses[index] = _error(exc)
            return
        start = 0
        for index, request, array in arrays:
            stop = start + len(array)
            try:
                responses[index] = self._response(request, outputs[start:stop])
            except Exception as exc:  # noqa: BLE001 - e.g. a malformed class_mask fails only its request
                responses[index] = _error(exc)
            start = stop

    def _response(self, request, raw: np.ndarray):
        if not self._server_side:
            return pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor(contract.RAW_OUTPUT, raw)])
        confidence = _per_image(request, contract.CONFIDENCE, len(raw))
        iou = _per_image(request, contract.IOU, len(raw))
        masks = _class_masks(request, len(raw))
        rows = [
            decode_output(raw[i], layout=self._layout, confidence=float(confidence[i]), iou=float(iou[i]),
                          class_mask=masks[i], max_detections=self._max_detections).as_rows()
            for i in range(len(raw))
        ]  # fmt: skip
        width = max((len(r) for r in rows), default=0)
        detections = np.zeros((len(rows), width, 6), np.float32)
        for i, found in enumerate(rows):
            detections[i, : len(found)] = found
        counts = np.array([[len(r)] for r in rows], np.int32)
        tensors = [pb_utils.Tensor(contract.DETECTIONS, detections), pb_utils.Tensor(contract.NUM_DETECTIONS, counts)]
        return pb_utils.InferenceResponse(output_tensors=tensors)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self._session is None:
            return batch  # post-processing step: the batch is the raw output already
        images = contract.to_model_input(batch, self._onnx_format)
        session = self._session_for(batch.shape[1:3])
        step = self._chunk or len(images)
        parts = [
            session.run([self._onnx_output], {self._onnx_input: images[i : i + step]})[0]
            for i in range(0, len(images), step)
        ]
        output = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return np.ascontiguousarray(output, dtype=np.float32)

    def _session_for(self, size: tuple) -> ort.InferenceSession:
        """The session of a batch's (height, width); the default one says what it takes when it does not fit."""
        return self._sized.get(tuple(size), self._session)

    def finalize(self) -> None:
        self._session = None
        self._sized = {}


def _input_array(request) -> np.ndarray:
    tensor = pb_utils.get_input_tensor_by_name(request, contract.IMAGES)
    if tensor is None:
        raise ValueError(f"request has no input tensor {contract.IMAGES!r}")
    array = tensor.as_numpy()
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"'images' must be UINT8 [N,H,W,3], got {array.dtype} {list(array.shape)}")
    return array


def _raw_array(request) -> np.ndarray:
    tensor = pb_utils.get_input_tensor_by_name(request, contract.RAW_OUTPUT)
    if tensor is None:
        raise ValueError(f"request has no input tensor {contract.RAW_OUTPUT!r}")
    return tensor.as_numpy().astype(np.float32, copy=False)


def _per_image(request, name: str, count: int) -> np.ndarray:
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        return np.full(count, contract.DEFAULT_THRESHOLDS[name], np.float32)
    return tensor.as_numpy().reshape(count, -1)[:, 0]


def _class_masks(request, count: int) -> list:
    tensor = pb_utils.get_input_tensor_by_name(request, contract.CLASS_MASK)
    if tensor is None:
        return [None] * count
    return list(tensor.as_numpy().reshape(count, -1).astype(bool))


def _error(exc: Exception):
    logger.warning("Inference request failed: %s", exc)
    return pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(f"yolo model: {exc}"))
