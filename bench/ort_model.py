"""The peer baseline's model: the ONNX file in ONNX Runtime inside the pipeline's process (2 threads, no
spinning), behind the same `infer(batch)` seam as Triton: yolo_triton.prepost.Detector puts the same
letterbox, decode + NMS and source-pixel mapping around it as around our Triton client."""

import numpy as np
import onnxruntime as ort

from yolo_triton.contract import (
    NCHW_FLOAT32,
    ModelSpec,
    class_count,
    fit_names,
    guess_layout,
    parse_names,
    to_model_input,
)
from yolo_triton.prepost import Detector


class OrtModel:
    def __init__(self, onnx_path: str, threads: int = 2) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(onnx_path, sess_options=options, providers=["CPUExecutionProvider"])
        self.spec = _spec(self._session)

    def infer(self, batch: np.ndarray, *, confidence: float | None = None, iou: float | None = None,
              class_mask: np.ndarray | None = None) -> list[np.ndarray]:  # fmt: skip
        """The raw output of each image; thresholds and the class filter apply in the shared decode."""
        images = to_model_input(batch, self.spec.input_format)
        return list(self._session.run(None, {self.spec.input_name: images})[0])

    def close(self) -> None:
        self._session = None


def ort_detector(onnx_path: str, threads: int = 2) -> Detector:
    return Detector(model=OrtModel(onnx_path, threads=threads))


def _spec(session: ort.InferenceSession) -> ModelSpec:
    model_input, output = session.get_inputs()[0], session.get_outputs()[0]
    dims = [d if isinstance(d, int) else -1 for d in output.shape[1:]]
    names = parse_names(session.get_modelmeta().custom_metadata_map.get("names"))
    layout = guess_layout(dims, len(names) or None)
    return ModelSpec(
        input_name=model_input.name, output_name=output.name,
        input_size=(int(model_input.shape[2]), int(model_input.shape[3])), max_batch_size=0,
        class_names=tuple(fit_names(names, class_count(layout, dims))), layout=layout, input_format=NCHW_FLOAT32,
    )  # fmt: skip
