"""The peer baseline's inference: the ONNX model in ONNX Runtime inside the pipeline's process, same pre- and
post-processing as ours (letterbox, decode + NMS in numpy), 2 threads without spinning."""

import ast

import numpy as np
import onnxruntime as ort
import supervision as sv

from workers.yolo import decode_output, guess_layout, letterbox, to_source


class OrtDetector:
    def __init__(self, onnx_path: str, threads: int = 2) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(onnx_path, sess_options=options, providers=["CPUExecutionProvider"])
        model_input = self._session.get_inputs()[0]
        self._input = model_input.name
        self._size = (int(model_input.shape[2]), int(model_input.shape[3]))
        out_dims = [d if isinstance(d, int) else -1 for d in self._session.get_outputs()[0].shape[1:]]
        self._layout = guess_layout(out_dims)
        names = ast.literal_eval(self._session.get_modelmeta().custom_metadata_map.get("names", "{}"))
        self._names = np.asarray([str(names[key]) for key in sorted(names)])

    def detect(self, images_bgr: list[np.ndarray], *, confidence: float, iou: float) -> list[sv.Detections]:
        boxed = [letterbox(image, self._size) for image in images_bgr]
        batch = np.stack([pixels for pixels, _ in boxed]).transpose(0, 3, 1, 2).astype(np.float32) / 255
        raw = self._session.run(None, {self._input: batch})[0]
        found = []
        for output, (_, box) in zip(raw, boxed, strict=True):
            boxes = to_source(decode_output(output, layout=self._layout, confidence=confidence, iou=iou), box)
            found.append(sv.Detections(xyxy=boxes.xyxy, confidence=boxes.confidence, class_id=boxes.class_id,
                                       data={"class_name": self._names[boxes.class_id]}))  # fmt: skip
        return found
