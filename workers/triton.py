"""Frames to and from a Triton-served YOLO model: UINT8 [N,H,W,3] in; detections (or raw outputs) out.

Everything this class needs to know comes from the served model's config: input size and format, batch
limit, class names, and what comes back:
- this project's models decode and suppress on the server (`detections` [N,K,6] + `num_detections` [N,1]),
  taking per-image `confidence`, `iou` and `class_mask` inputs: a response is a few KB;
- a user's own deployment may return raw YOLOv8/11 [N,4+C,A], YOLOv5/YOLOX [N,A,5+C] or NMS-exported
  [N,K,6] outputs, and may take FP32 [N,3,H,W] input: the client converts and decodes those itself.
Pixels travel through system shared memory when the server shares this host (see workers/shm.py), else as
binary HTTP.
"""

import functools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from workers.yolo import guess_layout

if TYPE_CHECKING:
    from tritonclient.http import InferenceServerClient

    from workers.shm import SharedInput

logger = logging.getLogger(__name__)
SERVER_OUTPUTS = ("detections", "num_detections")
TRANSPORTS = ("auto", "shm", "http")
_FLOAT_INPUTS = {"TYPE_FP32": "nchw_float32", "TYPE_FP16": "nchw_float16"}


class TritonInferenceError(RuntimeError):
    """The server refused, failed or could not be reached (the frame's input itself was well formed)."""


@dataclass
class _ThreadState:
    client: "InferenceServerClient"
    region: "SharedInput | None" = None
    thread: threading.Thread = field(default_factory=threading.current_thread)


class TritonModel:
    """One model on one Triton server, usable from any thread.

    tritonclient.http runs on gevent, whose connections belong to the thread that first used them (another
    thread gets `greenlet.error`), and the pipeline calls in from its own thread: every thread gets its own
    client from `connect`, and its own shared-memory region.
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
        layout: str = "yolov8",
        input_format: str = "nhwc_uint8",
        optional_inputs: frozenset[str] = frozenset(),
        transport: str = "http",
    ) -> None:
        self._connect = connect
        self.model_name = model_name
        self._input_name = input_name
        self._output_name = output_name
        self._input_size = input_size
        self.max_batch_size = max_batch_size
        self._class_names = class_names
        self.layout = layout
        self.input_format = input_format
        self._optional_inputs = optional_inputs
        self._transport = transport if transport in TRANSPORTS else "http"
        self._local = threading.local()
        self._states: list[_ThreadState] = []
        self._lock = threading.Lock()
        self.shm_bytes = 0  # pixels sent through shared memory / over HTTP so far (the bench reads these)
        self.http_bytes = 0

    @classmethod
    def init(cls, *, url: str, model_name: str, timeout_s: float = 10.0, transport: str = "auto") -> Self:
        # Imported here, not at module import: tritonclient.http pulls in gevent, and Celery's prefork parent
        # must not fork with it loaded.
        import tritonclient.http as httpclient

        host = url.split("://", 1)[-1].rstrip("/")
        connect = functools.partial(
            httpclient.InferenceServerClient, url=host, connection_timeout=timeout_s, network_timeout=timeout_s
        )
        client = connect()
        try:
            parts = parse_config(client.get_model_config(model_name))
            if transport != "http":
                from workers.shm import reap_stale

                reap_stale(client)  # regions a crashed worker of this host left behind
        finally:
            client.close()  # this thread may never infer; each thread connects on first use
        logger.info(
            "Triton model %s at %s: input %s %s, max batch %s, output %s, transport %s", model_name, host,
            parts["input_format"], parts["input_size"], parts["max_batch_size"], parts["layout"], transport,
        )  # fmt: skip
        return cls(connect=connect, model_name=model_name, transport=transport, **parts)

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the model input."""
        return self._input_size

    @property
    def class_names(self) -> list[str]:
        return list(self._class_names)

    @property
    def server_side(self) -> bool:
        """True when the server decodes and suppresses (outputs `detections` + `num_detections`)."""
        return self._output_name == SERVER_OUTPUTS[0]

    @property
    def transport(self) -> str:
        """'shm' or 'http' as this thread sends, else as any thread sends; "auto" before the first request."""
        state = getattr(self._local, "state", None)
        if state is not None:
            return "shm" if state.region is not None else "http"
        with self._lock:
            states = list(self._states)
        if not states:
            return self._transport
        return "shm" if any(s.region is not None for s in states) else "http"

    def infer(
        self,
        batch: np.ndarray,
        *,
        confidence: float | None = None,
        iou: float | None = None,
        class_mask: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        """One output per image of a uint8 RGB batch [N, H, W, 3]: [K, 6] detection rows in model-input pixels
        for server-side models, else the raw per-image output. Batches over max_batch_size are split."""
        self._check(batch)
        step = max(self.max_batch_size, 1)
        outputs: list[np.ndarray] = []
        for i in range(0, len(batch), step):
            extras = self._extras(min(step, len(batch) - i), confidence, iou, class_mask)
            outputs += self._infer_chunk(batch[i : i + step], extras)
        return outputs

    def close(self) -> None:
        with self._lock:
            states, self._states = self._states, []
            self._local = threading.local()
        for state in states:
            _close_state(state)  # closing from another thread is fine; only requests are thread-bound

    def _state(self) -> _ThreadState:
        state = getattr(self._local, "state", None)
        if state is None:
            client = self._connect()
            try:
                region = self._open_region(client)
            except BaseException:
                client.close()
                raise
            state = self._local.state = _ThreadState(client, region)
            with self._lock:
                # Pipelines come and go with their threads: drop the connections of threads that ended.
                dead = [s for s in self._states if not s.thread.is_alive()]
                self._states = [s for s in self._states if s.thread.is_alive()] + [state]
            for old in dead:
                _close_state(old)
        return state

    def _drop_state(self, state: _ThreadState) -> None:
        self._local.state = None
        with self._lock:
            self._states = [s for s in self._states if s is not state]
        _close_state(state)

    def _open_region(self, client: "InferenceServerClient") -> "SharedInput | None":
        if self._transport == "http":
            return None
        from workers.shm import SharedInput

        height, width = self._input_size
        itemsize = {"nhwc_uint8": 1, "nchw_float16": 2}.get(self.input_format, 4)
        try:
            return SharedInput(client, max(self.max_batch_size, 1) * height * width * 3 * itemsize)
        except (ConnectionError, TimeoutError) as exc:
            # The server is down (restarting, say): that says nothing about shared memory; try again later.
            raise TritonInferenceError(f"Triton unreachable: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - no shared memory with this server: HTTP it is
            if self._transport == "shm":
                raise TritonInferenceError(f"shared memory with Triton failed: {exc}") from exc
            logger.info("Triton shares no memory with this host (%s); sending frames over HTTP", exc)
            self._transport = "http"  # one failed attempt decides for every thread
            return None

    def _check(self, batch: np.ndarray) -> None:
        height, width = self._input_size
        if not isinstance(batch, np.ndarray) or batch.dtype != np.uint8:
            kind = getattr(batch, "dtype", type(batch).__name__)
            raise ValueError(f"model {self.model_name!r} takes a uint8 array, got {kind}")
        if batch.ndim != 4 or batch.shape[1:] != (height, width, 3):
            raise ValueError(f"model {self.model_name!r} takes [N, {height}, {width}, 3], got {list(batch.shape)}")

    def _extras(self, count: int, confidence: float | None, iou: float | None, mask: np.ndarray | None) -> dict:
        """Per-image post-processing inputs, for a server that takes them."""
        extras: dict[str, np.ndarray] = {}
        for name, value in (("confidence", confidence), ("iou", iou)):
            if value is not None and name in self._optional_inputs:
                extras[name] = np.full((count, 1), value, np.float32)
        if "class_mask" in self._optional_inputs:
            # Always sent: an ensemble (the GPU profile) cannot declare it optional. No filter = every class.
            row = np.ones(len(self._class_names), bool)
            if mask is not None:
                row[:] = False
                given = np.asarray(mask, bool)[: row.size]
                row[: given.size] = given
            extras["class_mask"] = np.broadcast_to(row, (count, row.size)).copy()
        return extras

    def _infer_chunk(self, chunk: np.ndarray, extras: dict[str, np.ndarray]) -> list[np.ndarray]:
        from tritonclient.http import InferInput, InferRequestedOutput
        from tritonclient.utils import InferenceServerException, np_to_triton_dtype

        pixels = _to_model_input(chunk, self.input_format)
        state = self._state()
        request = InferInput(self._input_name, list(pixels.shape), np_to_triton_dtype(pixels.dtype))
        if state.region is not None:
            self.shm_bytes += state.region.write(pixels)
            request.set_shared_memory(state.region.name, pixels.nbytes)
        else:
            request.set_data_from_numpy(pixels, binary_data=True)
            self.http_bytes += pixels.nbytes
        inputs = [request] + [_input(name, value) for name, value in extras.items()]
        names = list(SERVER_OUTPUTS) if self.server_side else [self._output_name]
        wanted = [InferRequestedOutput(name, binary_data=True) for name in names]
        try:
            result = state.client.infer(self.model_name, inputs=inputs, outputs=wanted)
        except (InferenceServerException, OSError) as exc:
            # A restarted server has forgotten this thread's region and connection: start afresh next time.
            self._drop_state(state)
            raise TritonInferenceError(f"Triton model {self.model_name!r} failed: {exc}") from exc
        return self._split(result, len(chunk))

    def _split(self, result: Any, count: int) -> list[np.ndarray]:
        if self.server_side:
            rows, counts = result.as_numpy("detections"), result.as_numpy("num_detections").reshape(-1)
            return [rows[i, : int(counts[i])] for i in range(count)]
        output = result.as_numpy(self._output_name)
        return [output[i] for i in range(count)]


def _input(name: str, value: np.ndarray) -> Any:
    from tritonclient.http import InferInput
    from tritonclient.utils import np_to_triton_dtype

    tensor = InferInput(name, list(value.shape), np_to_triton_dtype(value.dtype))
    tensor.set_data_from_numpy(value, binary_data=True)
    return tensor


def _to_model_input(chunk: np.ndarray, input_format: str) -> np.ndarray:
    if input_format == "nhwc_uint8":
        return np.ascontiguousarray(chunk)
    dtype = np.float16 if input_format == "nchw_float16" else np.float32
    # A user's own deployment that takes the Ultralytics float input: normalise here instead of in the model.
    images = chunk.transpose(0, 3, 1, 2).astype(dtype, order="C")
    np.divide(images, 255, out=images)
    return images


def _close_state(state: _ThreadState) -> None:
    if state.region is not None:
        state.region.close(state.client)
    state.client.close()


def parse_config(config: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments from the served model config (HTTP JSON form)."""
    inputs, outputs = config.get("input", []), config.get("output", [])
    if not inputs or not outputs:
        raise ValueError(f"model has {len(inputs)} inputs and {len(outputs)} outputs; expected images in, boxes out")
    max_batch_size = int(config.get("max_batch_size", 0))
    image, input_format, size = _image_input(inputs, max_batch_size)
    optional = frozenset(i["name"] for i in inputs if i["name"] != image["name"])
    class_names = _class_names(config)
    output_name, layout = _output(outputs, max_batch_size, len(class_names) or None)
    if not class_names:
        class_names = _fallback_names(outputs, layout)
    return {
        "input_name": image["name"], "output_name": output_name, "input_size": size,
        "max_batch_size": max_batch_size, "class_names": class_names, "layout": layout,
        "input_format": input_format, "optional_inputs": optional,
    }  # fmt: skip


def _image_input(inputs: list[dict], max_batch_size: int) -> tuple[dict, str, tuple[int, int]]:
    """The image input: UINT8 [H,W,3] (this project) or FP32/FP16 [3,H,W] (a plain Ultralytics export)."""
    image = next((i for i in inputs if i["name"] == "images"), inputs[0])
    dims = [int(d) for d in image["dims"]]
    if max_batch_size < 1 and dims[:1] in ([1], [-1]):
        dims = dims[1:]  # a non-batching model lists its batch of one in dims
    kind = image.get("data_type", "")
    if len(dims) == 3 and dims[2] == 3 and kind == "TYPE_UINT8":
        return image, "nhwc_uint8", (dims[0], dims[1])
    if len(dims) == 3 and dims[0] == 3 and kind in _FLOAT_INPUTS:
        return image, _FLOAT_INPUTS[kind], (dims[1], dims[2])
    raise ValueError(
        f"input {image['name']!r} is {kind} {dims} (max_batch_size {max_batch_size}); expected UINT8 [H, W, 3] "
        "or FP32/FP16 [3, H, W] with fixed H and W"
    )


def _output(outputs: list[dict], max_batch_size: int, num_classes: int | None) -> tuple[str, str]:
    """(output name, layout): server-side detections, or the one raw output whose layout the shape tells."""
    names = {o["name"] for o in outputs}
    if set(SERVER_OUTPUTS) <= names:
        return SERVER_OUTPUTS[0], "nms"
    shapes = {o["name"]: [int(d) for d in o.get("dims", [])] for o in outputs}
    if len(outputs) != 1:
        raise ValueError(f"cannot tell which output holds the boxes; outputs seen: {shapes}")
    dims = shapes[outputs[0]["name"]]
    if max_batch_size < 1 and len(dims) == 3 and dims[0] in (1, -1):
        dims = dims[1:]
    return outputs[0]["name"], guess_layout(dims, num_classes)


def _class_names(config: dict[str, Any]) -> list[str]:
    raw = config.get("parameters", {}).get("class_names", {}).get("string_value")
    if raw:
        try:
            return [str(name) for name in json.loads(raw)]
        except (ValueError, TypeError):
            logger.warning("Unreadable class_names parameter in model config; using class<i>")
    return []


def _fallback_names(outputs: list[dict], layout: str) -> list[str]:
    dims = [int(d) for d in outputs[0].get("dims", [])][-2:]
    count = {"yolov8": dims[0] - 4, "yolov5": dims[-1] - 5}.get(layout, 0) if len(dims) == 2 else 0
    return [f"class{i}" for i in range(max(count, 0))]
