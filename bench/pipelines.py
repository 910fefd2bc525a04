"""Benchmark children: N of our pipelines (one process per stream, as the Celery pool runs them) and the
peer baseline (one process, one InferencePipeline over N sources, ONNX Runtime in-process).

Both use the same source (the clip looped), the same sink work (supervision boxes + labels, JPEG q75) and
thresholds; only inference differs. Children are spawned, never forked (tritonclient must not be forked).
"""

import multiprocessing as mp
import time
from typing import Any

from bench.probes import Recorder
from bench.sources import LoopingVideo

CONFIDENCE, IOU = 0.25, 0.45


def run_children(target: Any, specs: list[dict], warmup_s: float, window_s: float, timeout_s: float = 120,
                 window: Any = None) -> list:  # fmt: skip
    """Start one spawned child per spec, open the measured window once all have produced frames, collect.
    `window` (optional) is told when the window opens and closes (`start()`, `stop()`), e.g. to read a CPU clock."""
    ctx = mp.get_context("spawn")
    opened, closed, results = ctx.Event(), ctx.Event(), ctx.Queue()
    children = [ctx.Process(target=target, args=(spec, opened, closed, results), daemon=True) for spec in specs]
    for child in children:
        child.start()
    try:
        ready = [results.get(timeout=timeout_s) for _ in children]
        if any("error" in r for r in ready):
            raise RuntimeError(f"benchmark child failed: {[r for r in ready if 'error' in r]}")
        time.sleep(warmup_s)  # the measured window, not a wait for a condition
        opened.set()
        if window is not None:
            window.start()
        time.sleep(window_s)
        closed.set()
        if window is not None:
            window.stop()
        return [results.get(timeout=timeout_s) for _ in children]
    finally:
        closed.set()
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()


def ours(spec: dict, opened: Any, closed: Any, results: Any) -> None:
    """One stream: LoopingVideo -> Detector (Triton) -> annotate + JPEG."""
    try:
        from workers.inference.detector import Detector

        detector = Detector.init(url=spec["url"], model_name=spec["model"], transport=spec["transport"])
        sources = [LoopingVideo(spec["video"], spec.get("fps"))]

        def infer(frames: list) -> list:
            return detector.detect([f.image for f in frames], confidence=CONFIDENCE, iou=IOU)

        _run_pipeline(spec, sources, infer, opened, closed, results, extra=lambda: _transport(detector))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the run
        results.put({"error": f"{type(exc).__name__}: {exc}"})


def _transport(detector: Any) -> dict:
    model = detector.model
    return {"transport": model.transport, "shm_bytes": model.shm_bytes, "http_bytes": model.http_bytes}


def baseline(spec: dict, opened: Any, closed: Any, results: Any) -> None:
    """N streams in one InferencePipeline with ONNX Runtime in-process, the way users run it without Triton."""
    try:
        from bench.ort_model import ort_detector

        detector = ort_detector(spec["onnx"], threads=spec.get("ort_threads", 2))
        sources = [LoopingVideo(spec["video"], spec.get("fps")) for _ in range(spec["streams"])]

        def infer(frames: list) -> list:
            return detector.detect([f.image for f in frames], confidence=CONFIDENCE, iou=IOU)

        _run_pipeline(spec, sources, infer, opened, closed, results)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the run
        results.put({"error": f"{type(exc).__name__}: {exc}"})


def _run_pipeline(spec, sources, infer, opened, closed, results, extra=None) -> None:
    from streamvision.stream.pipeline import InferencePipeline

    from workers.framepath.annotate import FrameAnnotator

    annotator = FrameAnnotator.init(jpeg_quality=75)
    recorder = Recorder(opened=opened, closed=closed)
    recorder.watch_window()
    plain = lambda dets, frame: annotator.encode(annotator.annotate(frame.image, dets))  # noqa: E731
    draw = _product_sink(spec, annotator) or plain

    def sink_one(detections: Any, frame: Any) -> None:
        if frame is None:
            return
        draw(detections, frame)
        recorder.frame(sources[frame.source_id].grabbed_at.get(frame.frame_id))

    def sink(detections: Any, frames: Any) -> None:
        if isinstance(frames, list):
            for found, frame in zip(detections, frames, strict=True):
                sink_one(found, frame)
        else:
            sink_one(detections, frames)

    references = [(lambda s=s: s) for s in sources]
    started = time.time()
    pipeline = InferencePipeline.init_with_custom_logic(
        video_reference=references if len(references) > 1 else references[0], on_video_frame=infer,
        on_prediction=sink, max_fps=None,
    )  # fmt: skip
    pipeline.start(use_main_thread=False)
    _wait_first_frame(recorder, timeout=60)
    results.put({"ready": True})
    closed.wait()
    stopping = time.monotonic()
    pipeline.terminate()
    pipeline.join()
    stop_s = time.monotonic() - stopping
    result = recorder.result() | {"start_s": recorder.first_frame_at - started, "stop_s": stop_s}
    results.put(result | (extra() if extra else {}))


def _product_sink(spec: dict, annotator: Any) -> Any:
    """With spec["analytics"] set (True or False): the product's FrameSink, watched at full size, with the
    analytics scene of bench/scene.py on or off, so that the two differ only in the analysers."""
    if "analytics" not in spec:
        return None
    from bench.scene import highway_scene
    from core.frames import LiveSettings
    from workers.framepath.metrics import StreamMetrics
    from workers.framepath.stages import FrameSink

    class Discard:
        def publish(self, group: str, message: dict, timeout: float = 2.0) -> bool:
            return True

    live = LiveSettings(confidence=CONFIDENCE, iou=IOU, analysers=highway_scene() if spec["analytics"] else ())
    return FrameSink.init(stream_id=1, origin="bench", annotator=annotator, publisher=Discard(),
                          metrics=StreamMetrics(1), live=live, watched=lambda: frozenset({"full"}))  # fmt: skip


def _wait_first_frame(recorder: Recorder, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while recorder.first_frame_at is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no frame reached the sink")
        time.sleep(0.05)
