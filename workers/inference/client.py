"""Frames to and from a Triton-served YOLO model: the `infer(batch)` side of the detector seam.

UINT8 [N,H,W,3] letterboxed RGB in; per image, detection rows (server-side post-processing) or the raw
output out. Everything this class needs to know is the served model's config, read by
yolo_triton.contract.parse_config: input size and format, batch limit, class names, what comes back.
Pre- and post-processing around it: yolo_triton/prepost.py. Pixels travel through system shared memory when
the server shares this host (see workers/inference/shm.py), else as binary HTTP.
"""

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from yolo_triton.admin import host_port
from yolo_triton.contract import (
    CLASS_MASK,
    CONFIDENCE,
    DETECTIONS,
    IOU,
    NUM_DETECTIONS,
    ModelSpec,
    parse_config,
    to_model_input,
)

if TYPE_CHECKING:
    from tritonclient.http import InferenceServerClient

    from workers.inference.shm import SharedInput

logger = logging.getLogger(__name__)
TRANSPORTS = ("auto", "shm", "http")


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
        spec: ModelSpec,
        transport: str = "http",
    ) -> None:
        self._connect = connect
        self.model_name = model_name
        self.spec = spec
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

        host = host_port(url)
        connect = functools.partial(
            httpclient.InferenceServerClient, url=host, connection_timeout=timeout_s, network_timeout=timeout_s
        )
        client = connect()
        try:
            spec = parse_config(client.get_model_config(model_name))
            if transport != "http":
                from workers.inference.shm import reap_stale

                reap_stale(client)  # regions a crashed worker of this host left behind
        finally:
            client.close()  # this thread may never infer; each thread connects on first use
        logger.info(
            "Triton model %s at %s: input %s %s, max batch %s, output %s, transport %s", model_name, host,
            spec.input_format, spec.input_size, spec.max_batch_size, spec.layout, transport,
        )  # fmt: skip
        return cls(connect=connect, model_name=model_name, spec=spec, transport=transport)

    @property
    def max_batch_size(self) -> int:
        return self.spec.max_batch_size

    @property
    def layout(self) -> str:
        return self.spec.layout

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the model input."""
        return self.spec.input_size

    @property
    def class_names(self) -> list[str]:
        return list(self.spec.class_names)

    @property
    def server_side(self) -> bool:
        """True when the server decodes and suppresses (outputs `detections` + `num_detections`)."""
        return self.spec.server_side

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

    def infer(self, batch: np.ndarray, *, confidence: float | None = None, iou: float | None = None,
              class_mask: np.ndarray | None = None) -> list[np.ndarray]:  # fmt: skip
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
        from workers.inference.shm import SharedInput

        try:
            return SharedInput(client, self.spec.input_bytes(max(self.max_batch_size, 1)))
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
        if not isinstance(batch, np.ndarray) or batch.dtype != np.uint8:
            kind = getattr(batch, "dtype", type(batch).__name__)
            raise ValueError(f"model {self.model_name!r} takes a uint8 array, got {kind}")
        if batch.ndim != 4 or batch.shape[3] != 3 or not self.spec.serves(*batch.shape[1:3]):
            sizes = " or ".join(f"[N, {h}, {w}, 3]" for h, w in self.spec.served_sizes)
            raise ValueError(f"model {self.model_name!r} takes {sizes}, got {list(batch.shape)}")

    def _extras(self, count: int, confidence: float | None, iou: float | None, mask: np.ndarray | None) -> dict:
        """Per-image post-processing inputs, for a server that takes them."""
        extras: dict[str, np.ndarray] = {}
        for name, value in ((CONFIDENCE, confidence), (IOU, iou)):
            if value is not None and name in self.spec.optional_inputs:
                extras[name] = np.full((count, 1), value, np.float32)
        if CLASS_MASK in self.spec.optional_inputs:
            # Always sent: an ensemble (the GPU profile) cannot declare it optional. No filter = every class.
            row = np.ones(len(self.spec.class_names), bool)
            if mask is not None:
                row[:] = False
                given = np.asarray(mask, bool)[: row.size]
                row[: given.size] = given
            extras[CLASS_MASK] = np.broadcast_to(row, (count, row.size)).copy()
        return extras

    def _infer_chunk(self, chunk: np.ndarray, extras: dict[str, np.ndarray]) -> list[np.ndarray]:
        from tritonclient.http import InferInput, InferRequestedOutput
        from tritonclient.utils import InferenceServerException, np_to_triton_dtype

        pixels = to_model_input(chunk, self.spec.input_format)
        state = self._state()
        request = InferInput(self.spec.input_name, list(pixels.shape), np_to_triton_dtype(pixels.dtype))
        if state.region is not None:
            self.shm_bytes += state.region.write(pixels)
            request.set_shared_memory(state.region.name, pixels.nbytes)
        else:
            request.set_data_from_numpy(pixels, binary_data=True)
            self.http_bytes += pixels.nbytes
        inputs = [request] + [_input(name, value) for name, value in extras.items()]
        wanted = [InferRequestedOutput(name, binary_data=True) for name in self.spec.output_names]
        try:
            result = state.client.infer(self.model_name, inputs=inputs, outputs=wanted)
        except (InferenceServerException, OSError) as exc:
            # A restarted server has forgotten this thread's region and connection: start afresh next time.
            self._drop_state(state)
            raise TritonInferenceError(f"Triton model {self.model_name!r} failed: {exc}") from exc
        return self._split(result, len(chunk))

    def _split(self, result: Any, count: int) -> list[np.ndarray]:
        if self.server_side:
            rows, counts = result.as_numpy(DETECTIONS), result.as_numpy(NUM_DETECTIONS).reshape(-1)
            return [rows[i, : int(counts[i])] for i in range(count)]
        output = result.as_numpy(self.spec.output_name)
        return [output[i] for i in range(count)]


def _input(name: str, value: np.ndarray) -> Any:
    from tritonclient.http import InferInput
    from tritonclient.utils import np_to_triton_dtype

    tensor = InferInput(name, list(value.shape), np_to_triton_dtype(value.dtype))
    tensor.set_data_from_numpy(value, binary_data=True)
    return tensor


def _close_state(state: _ThreadState) -> None:
    if state.region is not None:
        state.region.close(state.client)
    state.client.close()
