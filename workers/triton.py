"""Raw tensors to and from the Triton YOLO model over HTTP: UINT8 [N,H,W,3] in, FP32 [N,4+C,A] out.

The tensor contract is the same for the embedded CPU server and a GPU Triton in production; everything this
class needs to know (input size, batch limit, class names) comes from the served model's config.
"""

import functools
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

import numpy as np

if TYPE_CHECKING:
    from tritonclient.http import InferenceServerClient

logger = logging.getLogger(__name__)


class TritonInferenceError(RuntimeError):
    """The server refused, failed or could not be reached (the frame's input itself was well formed)."""


class TritonModel:
    """One model on one Triton server, usable from any thread.

    tritonclient.http runs on gevent, whose connections belong to the thread that first used them (another
    thread gets `greenlet.error`), and the pipeline calls in from its own thread: every thread gets its own
    client from `connect`.
    """

    def __init__(
        self,
        *,
        connect: Callable[[], "InferenceServerClient"],
        model_name: str,
        input_name: str,
        output_name: str,
        input_size: tuple[int, int],
        max_batch_size: int,
        class_names: list[str],
    ) -> None:
        self._connect = connect
        self.model_name = model_name
        self._input_name = input_name
        self._output_name = output_name
        self._input_size = input_size
        self.max_batch_size = max_batch_size
        self._class_names = class_names
        self._local = threading.local()
        self._clients: list[tuple[threading.Thread, InferenceServerClient]] = []
        self._clients_lock = threading.Lock()

    @classmethod
    def init(cls, *, url: str, model_name: str, timeout_s: float = 10.0) -> Self:
        # Imported here, not at module import: tritonclient.http pulls in gevent, and Celery's prefork parent
        # must not fork with it loaded.
        import tritonclient.http as httpclient

        host = url.split("://", 1)[-1].rstrip("/")
        connect = functools.partial(
            httpclient.InferenceServerClient, url=host, connection_timeout=timeout_s, network_timeout=timeout_s
        )
        client = connect()
        try:
            parts = _parse_config(client.get_model_config(model_name))
        finally:
            client.close()  # this thread may never infer; each thread connects on first use
        logger.info(
            "Triton model %s at %s: input %s, max batch %s", model_name, host, parts["input_size"],
            parts["max_batch_size"],
        )  # fmt: skip
        return cls(connect=connect, model_name=model_name, **parts)

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the model input."""
        return self._input_size

    @property
    def class_names(self) -> list[str]:
        return list(self._class_names)

    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Raw output [N, 4+C, A] for a uint8 RGB batch [N, H, W, 3]; batches over max_batch_size are split."""
        self._check(batch)
        if len(batch) == 0:
            return np.zeros((0, len(self._class_names) + 4, 0), np.float32)
        step = self.max_batch_size
        parts = [self._infer_chunk(batch[i : i + step]) for i in range(0, len(batch), step)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def close(self) -> None:
        with self._clients_lock:
            clients, self._clients = self._clients, []
            self._local = threading.local()
        for _, client in clients:
            client.close()  # closing from another thread is fine; only requests are thread-bound

    def _client(self) -> "InferenceServerClient":
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._connect()
            with self._clients_lock:
                # Pipelines come and go with their threads: drop the connections of threads that ended.
                dead = [c for thread, c in self._clients if not thread.is_alive()]
                self._clients = [(t, c) for t, c in self._clients if t.is_alive()]
                self._clients.append((threading.current_thread(), client))
            for old in dead:
                old.close()
        return client

    def _check(self, batch: np.ndarray) -> None:
        height, width = self._input_size
        if not isinstance(batch, np.ndarray) or batch.dtype != np.uint8:
            kind = getattr(batch, "dtype", type(batch).__name__)
            raise ValueError(f"model {self.model_name!r} takes a uint8 array, got {kind}")
        if batch.ndim != 4 or batch.shape[1:] != (height, width, 3):
            raise ValueError(f"model {self.model_name!r} takes [N, {height}, {width}, 3], got {list(batch.shape)}")

    def _infer_chunk(self, chunk: np.ndarray) -> np.ndarray:
        from tritonclient.http import InferInput, InferRequestedOutput
        from tritonclient.utils import InferenceServerException

        request = InferInput(self._input_name, list(chunk.shape), "UINT8")
        request.set_data_from_numpy(np.ascontiguousarray(chunk), binary_data=True)
        wanted = InferRequestedOutput(self._output_name, binary_data=True)
        try:
            result = self._client().infer(self.model_name, inputs=[request], outputs=[wanted])
        except (InferenceServerException, OSError) as exc:
            raise TritonInferenceError(f"Triton model {self.model_name!r} failed: {exc}") from exc
        return result.as_numpy(self._output_name)


def _parse_config(config: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments from the served model config (HTTP JSON form)."""
    inputs, outputs = config.get("input", []), config.get("output", [])
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(f"expected one input and one output, got {len(inputs)} and {len(outputs)}")
    dims = [int(d) for d in inputs[0]["dims"]]
    max_batch_size = int(config.get("max_batch_size", 0))
    if max_batch_size < 1 or len(dims) != 3 or dims[2] != 3:
        raise ValueError(f"expected a batching model with input dims [H, W, 3], got max_batch_size "
                         f"{max_batch_size} and dims {dims}")  # fmt: skip
    return {
        "input_name": inputs[0]["name"],
        "output_name": outputs[0]["name"],
        "input_size": (dims[0], dims[1]),
        "max_batch_size": max_batch_size,
        "class_names": _class_names(config, outputs[0]),
    }


def _class_names(config: dict[str, Any], output: dict[str, Any]) -> list[str]:
    raw = config.get("parameters", {}).get("class_names", {}).get("string_value")
    if raw:
        try:
            return [str(name) for name in json.loads(raw)]
        except (ValueError, TypeError):
            logger.warning("Unreadable class_names parameter in model config; using class<i>")
    dims = [int(d) for d in output.get("dims", [])]
    count = dims[0] - 4 if dims and dims[0] > 4 else 0
    return [f"class{i}" for i in range(count)]
