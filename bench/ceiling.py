"""The ceiling: a plain tritonclient loop (no decoding, letterboxing, drawing) at a given concurrency, and the
transport comparison (HTTP vs system shared memory) through our own client."""

import statistics
import threading
import time

import numpy as np

from bench.pipelines import CONFIDENCE, IOU


def plain_loop(url: str, model: str, pixels: np.ndarray, concurrency: int, warmup_s: float, window_s: float) -> dict:
    """Frames/s answered by `concurrency` threads, each sending one letterboxed frame per request over HTTP."""
    import tritonclient.http as httpclient

    counts = [0] * concurrency
    opened, closed = threading.Event(), threading.Event()

    def loop(index: int) -> None:
        client = httpclient.InferenceServerClient(url)
        inputs = [_tensor(httpclient, "images", pixels[None]),
                  _tensor(httpclient, "confidence", np.full((1, 1), CONFIDENCE, np.float32)),
                  _tensor(httpclient, "iou", np.full((1, 1), IOU, np.float32))]  # fmt: skip
        outputs = [httpclient.InferRequestedOutput(n, binary_data=True) for n in ("detections", "num_detections")]
        try:
            while not closed.is_set():
                client.infer(model, inputs=inputs, outputs=outputs)
                if opened.is_set() and not closed.is_set():
                    counts[index] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(warmup_s)  # the measured window, not a wait for a condition
    opened.set()
    started = time.monotonic()
    time.sleep(window_s)
    closed.set()
    seconds = time.monotonic() - started
    for thread in threads:
        thread.join(timeout=30)
    return {"concurrency": concurrency, "fps": sum(counts) / seconds}


def _tensor(httpclient, name: str, value: np.ndarray):  # noqa: ANN001, ANN202
    from tritonclient.utils import np_to_triton_dtype

    tensor = httpclient.InferInput(name, list(value.shape), np_to_triton_dtype(value.dtype))
    tensor.set_data_from_numpy(value, binary_data=True)
    return tensor


def transport(url: str, model: str, pixels: np.ndarray, requests: int) -> dict:
    """ms per single-frame request and bytes per frame through our TritonModel, HTTP vs shared memory."""
    from workers.inference.client import TritonModel

    found = {}
    for name in ("http", "shm"):
        client = TritonModel.init(url=url, model_name=model, transport=name)
        try:
            client.infer(pixels[None], confidence=CONFIDENCE, iou=IOU)  # connect, register the region
            times, rows = [], None
            cpu_started = time.process_time()
            for _ in range(requests):
                started = time.perf_counter()
                rows = client.infer(pixels[None], confidence=CONFIDENCE, iou=IOU)[0]
                times.append((time.perf_counter() - started) * 1000)
            found[name] = {
                "client_cpu_ms": (time.process_time() - cpu_started) * 1000 / requests,
                "transport": client.transport,
                "ms_p50": statistics.median(times),
                "ms_p95": statistics.quantiles(times, n=20)[-1],
                "pixel_bytes_over_socket": pixels.nbytes if client.transport == "http" else 0,
                "response_bytes": rows.nbytes + 4,
            }
        finally:
            client.close()
    return found
