"""The worker's detector: yolo_triton.prepost.Detector (letterbox → infer → decode → source pixels) on a
Triton-served model. One per worker process and model, shared by its streams and threads."""

from typing import Self

from workers.inference.client import TritonModel
from yolo_triton.prepost import Detector as _Detector


class Detector(_Detector):
    """YOLO detection on a Triton-served model; safe to share between threads (see TritonModel)."""

    @classmethod
    def init(cls, *, url: str, model_name: str, timeout_s: float = 10.0, transport: str = "auto") -> Self:
        """`transport`: "auto" (shared memory when Triton shares this host, else HTTP), "shm" or "http"."""
        return cls(model=TritonModel.init(url=url, model_name=model_name, timeout_s=timeout_s, transport=transport))
