"""Runs every comparison against one Triton server, one model and one clip, and returns the raw results."""

import argparse
import os
import statistics
import sys
from pathlib import Path

import cv2

from bench import ceiling, pipelines
from bench.decode_only import decode_only
from bench.machine import machine

ROOT = Path(__file__).resolve().parents[1]


def run(args: argparse.Namespace, work_dir: Path) -> dict:
    assets = Path(args.assets)
    video, onnx = str(assets / args.video), str(assets / args.model)
    results: dict = {"machine": machine(), "config": config(args)}
    server = None
    url = args.triton_url
    if not url:
        server = _start_triton(args, Path(onnx), work_dir)
        url = server.url
    try:
        results |= _measure(args, url, video, onnx)
        if args.product:
            results["product"] = _product(args, url, work_dir)
    finally:
        if server is not None:
            server.stop()
    results["machine"]["loadavg_end"] = os.getloadavg()
    return results


def _measure(args: argparse.Namespace, url: str, video: str, onnx: str) -> dict:
    counts = [int(n) for n in args.streams.split(",")]
    base_counts = [int(n) for n in args.baseline_streams.split(",")]
    pixels = _letterboxed_frame(url, video)
    spec = {"url": url, "model": "yolo", "transport": "auto", "video": video}
    base = {"onnx": onnx, "video": video, "ort_threads": args.baseline_threads}
    rounds: dict = {"ceiling": {}, "pipelines": {}, "baseline": {}}
    # Side by side: each stream count's ceiling, pipelines and baseline run back to back, so that load from
    # elsewhere on a shared machine hits them alike; --rounds repeats the whole sweep (medians are reported).
    for _ in range(args.rounds):
        for n in sorted(set(counts) | set(base_counts)):
            if n in counts:
                _log(f"ceiling, concurrency {n}")
                rounds["ceiling"].setdefault(n, []).append(
                    ceiling.plain_loop(url, "yolo", pixels, n, args.warmup, args.window))
                _log(f"our pipelines, {n} streams")
                rounds["pipelines"].setdefault(n, []).append(
                    _streams(pipelines.run_children(pipelines.ours, [spec] * n, args.warmup, args.window)))
            if n in base_counts:
                _log(f"baseline, {n} streams")
                rounds["baseline"].setdefault(n, []).append(_streams(pipelines.run_children(
                    pipelines.baseline, [base | {"streams": n}], args.warmup, args.window)))
    found: dict = {kind: {n: _median(runs) for n, runs in by_n.items()} for kind, by_n in rounds.items()}
    found["latency"] = {}
    for n in sorted({1, max(counts)}):
        _log(f"latency, {n} streams at {args.latency_fps} fps")
        paced = spec | {"fps": args.latency_fps}
        found["latency"][n] = _streams(pipelines.run_children(pipelines.ours, [paced] * n, args.warmup, args.window))
    found["decode_only"] = decode_only(video, 300)
    found["transport"] = ceiling.transport(url, "yolo", pixels, 100)
    return found


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _median(runs: list[dict]) -> dict:
    """The run with the median fps, with every round's fps beside it."""
    ordered = sorted(runs, key=lambda run: run["fps"])
    return ordered[(len(ordered) - 1) // 2] | {"fps_rounds": [round(run["fps"], 1) for run in runs]}


def _streams(children: list[dict]) -> dict:
    """Totals over the children of one point (each child one stream, or the baseline's one process)."""
    latencies = sorted(x for c in children for x in c["latencies_ms"])
    cpu = [c["cpu_ms_per_frame"] for c in children if c["cpu_ms_per_frame"] is not None]
    return {
        "fps": sum(c["fps"] for c in children),
        "fps_per_stream": [round(c["fps"], 2) for c in children],
        "cpu_ms_per_frame": statistics.mean(cpu) if cpu else None,
        "latency_ms_p50": _quantile(latencies, 0.50),
        "latency_ms_p95": _quantile(latencies, 0.95),
        "rss_mb_per_process": statistics.mean(c["rss_mb"] for c in children),
        "start_s": statistics.mean(c["start_s"] for c in children),
        "stop_s": statistics.mean(c["stop_s"] for c in children),
        "transport": sorted({c.get("transport", "in-process") for c in children}),
    }


def _quantile(values: list[float], q: float) -> float | None:
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


def _letterboxed_frame(url: str, video: str):  # noqa: ANN202 - numpy array
    from workers.inference.client import TritonModel
    from yolo_triton.prepost import prepare

    model = TritonModel.init(url=url, model_name="yolo", transport="http")
    model.close()
    capture = cv2.VideoCapture(video)
    ok, frame = capture.read()
    capture.release()
    if not ok:
        raise SystemExit(f"cannot read {video}")
    # The input the pipelines send this clip through (192×320 for 720p when the model serves it).
    return prepare([frame], model.spec.input_size_for(*frame.shape[:2])).pixels[0]


def _start_triton(args: argparse.Namespace, onnx: Path, work_dir: Path):  # noqa: ANN202 - EmbeddedTriton
    from stack.triton_server import EmbeddedTriton

    server = EmbeddedTriton(
        venv=ROOT / ".venv-triton", onnx_path=onnx, work_dir=work_dir / "triton",
        max_batch_size=args.max_batch_size, queue_delay_us=args.queue_delay_us,
        instance_count=args.instance_count, ort_threads=args.ort_threads,
    )  # fmt: skip
    server.start()
    return server


def config(args: argparse.Namespace) -> dict:
    return {key: getattr(args, key) for key in ("model", "video", "max_batch_size", "queue_delay_us",
                                                "instance_count", "ort_threads", "baseline_threads", "rounds",
                                                "warmup", "window", "latency_fps", "triton_url")}  # fmt: skip


def _product(args: argparse.Namespace, url: str, work_dir: Path) -> dict:
    """The whole product against the same Triton: API → first frame, grab → WebSocket, stop, RSS."""
    from bench.product import run_product

    counts = sorted({1, max(int(n) for n in args.streams.split(","))})
    _log(f"whole product, {counts} streams at {args.latency_fps} fps")
    try:
        return run_product(work_dir=work_dir / "product", triton_url=url, assets_dir=Path(args.assets),
                           video=args.video, counts=counts, fps=args.latency_fps, seconds=args.window)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - the other results stand; the table says what failed
        return {"error": f"{type(exc).__name__}: {exc}"[:2000]}
