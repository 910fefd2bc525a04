"""The whole-product benchmark (the headline of docs/benchmarks.md): the product started as `make run` starts it,
N streams of the clip (no max fps) added through the API, each with one WebSocket client, beside the peer
(Roboflow's InferencePipeline over N copies, ONNX Runtime in-process, supervision, a JPEG per frame) in the same
run.

Watched: the client asks for full-size frames and acks every one (so every frame is annotated, encoded and
sent). Unwatched: the client asks for no frames (`size=none`) and only reads metrics. Processed fps is read from
the metrics messages (frames_total over their timestamps), CPU by process kind with psutil over the window.

    ASSETS_DIR=../shared/assets .venv/bin/python -m bench.whole [--quick] [--write-docs]
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import pipelines, report, whole_report  # noqa: E402
from bench.whole_stack import ProductUnderTest  # noqa: E402
from testbed.live_stack import run_async  # noqa: E402

ACK = json.dumps({"type": "ack"})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", default=os.environ.get("ASSETS_DIR", str(ROOT / "assets")))
    parser.add_argument("--model", default=os.environ.get("YOLO_MODEL", "yolo11n_320_dyn.onnx"))
    parser.add_argument("--video", default="traffic_highway.mp4")
    parser.add_argument("--streams", default="1,4,8")
    parser.add_argument("--unwatched", default="1,4,8", help="stream counts also measured with nobody watching")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=20.0, help="measured seconds per point")
    parser.add_argument("--no-peer", action="store_true", help="skip the peer (development)")
    parser.add_argument("--quick", action="store_true", help="short windows (development)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md with this run")
    args = parser.parse_args(argv)
    if args.quick:
        args.warmup, args.window = 3.0, 8.0
    return args


def run(args: argparse.Namespace, work_dir: Path) -> dict:
    assets = Path(args.assets)
    counts = [int(n) for n in args.streams.split(",")]
    unwatched = {int(n) for n in args.unwatched.split(",") if n}
    results: dict = {"loadavg_start": os.getloadavg(), "config": {"warmup": args.warmup, "window": args.window,
                     "video": args.video, "model": args.model}, "rows": []}  # fmt: skip
    _log("starting the product (python -m stack)")
    product = ProductUnderTest.start(work_dir=work_dir, assets_dir=assets, pool_size=max(counts))
    try:
        results["worker_pss_idle_mb"] = round(product.worker_pss_mb(), 1)
        for n in counts:
            results["rows"] += _measure_count(args, product, assets, n, n in unwatched)
    finally:
        product.stop()
    results["loadavg_end"] = os.getloadavg()
    return results


def _measure_count(args: argparse.Namespace, product: ProductUnderTest, assets: Path, n: int, unwatched: bool
                   ) -> list[dict]:  # fmt: skip
    stack = product.stack
    ids = [_create(stack, f"bench-{n}-{i}", str(assets / args.video)) for i in range(n)]
    rows = []
    try:
        for sid in ids:
            stack.wait_for_status(sid, "running", timeout=120)
        pss = product.worker_pss_mb()
        for size in ("full", "none") if unwatched else ("full",):
            _log(f"product, {n} stream(s), {'watched' if size == 'full' else 'unwatched'}")
            row = run_async(_phase(product, ids, size, args.warmup, args.window))
            rows.append(row | {"streams": n, "watched": size == "full", "worker_pss_mb": round(pss, 1)})
    finally:
        for sid in ids:
            stack.api("POST", f"/api/streams/{sid}/stop/")
        for sid in ids:
            stack.wait_for_status(sid, "stopped", timeout=60)
            stack.api("DELETE", f"/api/streams/{sid}/")
    peer = None if args.no_peer else _peer(args, assets, n)
    for row in rows:
        row["peer_fps"] = peer
    return rows


def _create(stack, name: str, source: str) -> int:  # noqa: ANN001 - LiveStack
    response = stack.api("POST", "/api/streams/", {"name": name, "source": source, "max_fps": None})
    if response.status != 201:
        raise RuntimeError(f"creating a stream failed: {response.status} {response.body}")
    return int(response.body["id"])


async def _phase(product: ProductUnderTest, ids: list[int], size: str, warmup: float, window: float) -> dict:
    stack = product.stack
    cookie = await asyncio.to_thread(stack.session_cookie)
    stop = asyncio.Event()
    clients = [_Client(sid) for sid in ids]
    tasks = [asyncio.create_task(c.run(stack, cookie, size, stop)) for c in clients]
    try:
        deadline = time.monotonic() + 60
        while not all(c.ready(size) for c in clients):
            if time.monotonic() > deadline:
                raise TimeoutError(f"streams gave no frames/metrics: {[c.samples[-1:] for c in clients]}")
            await asyncio.sleep(0.2)
        await asyncio.sleep(warmup)
        opened = [c.latest() for c in clients]
        received = sum(c.frames for c in clients)
        await asyncio.to_thread(product.open_cpu_window)
        await asyncio.sleep(window)
        cores = await asyncio.to_thread(product.close_cpu_window)
        closed = [c.latest() for c in clients]
        received = sum(c.frames for c in clients) - received
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    fps = sum((b[1] - a[1]) / max(b[0] - a[0], 1e-9) for a, b in zip(opened, closed, strict=True))
    inference = sorted(ms for c in clients for ms in c.inference_ms[-int(window) :])
    return {"fps": round(fps, 2), "ws_fps": round(received / window, 2), "cores": cores,
            "inference_ms_p50": inference[len(inference) // 2] if inference else None}  # fmt: skip


class _Client:
    """One WebSocket viewer: acks every frame, keeps (at, frames_total) of each metrics message."""

    def __init__(self, stream_id: int) -> None:
        self.stream_id = stream_id
        self.frames = 0
        self.samples: list[tuple[float, int]] = []
        self.inference_ms: list[float] = []  # per metrics message: mean round trip to Triton and back

    def ready(self, size: str) -> bool:
        return len(self.samples) >= 2 and self.samples[-1][1] > 0 and (size == "none" or self.frames > 0)

    def latest(self) -> tuple[float, int]:
        return self.samples[-1]

    async def run(self, stack, cookie: str, size: str, stop: asyncio.Event) -> None:  # noqa: ANN001 - LiveStack
        import websockets

        url = f"{stack.ws_base}/ws/streams/{self.stream_id}/?size={size}"
        async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": stack.url},
                                      max_size=2**24) as ws:  # fmt: skip
            if size != "none":
                await ws.send(ACK)
            while not stop.is_set():
                try:
                    message = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                if isinstance(message, bytes):
                    self.frames += 1
                    await ws.send(ACK)
                    continue
                payload = json.loads(message)
                if payload.get("type") == "metrics":
                    self.samples.append((float(payload["at"]), int(payload["frames_total"])))
                    self.inference_ms.append(float(payload["inference_ms"]))


def _peer(args: argparse.Namespace, assets: Path, n: int) -> dict[str, float]:
    """The peer over N copies of the clip twice: as files (every frame decoded is processed: what the issue's
    peer ran) and paced like the product's sources, as cameras (every frame decoded, dropped when behind)."""
    spec = {"onnx": str(assets / args.model), "video": str(assets / args.video), "ort_threads": 2, "streams": n}
    found = {}
    for name, fps in (("files", None), ("cameras", _clip_fps(assets / args.video))):
        _log(f"peer, {n} stream(s), {name}")
        runs = pipelines.run_children(pipelines.baseline, [spec | {"fps": fps}], min(args.warmup, 3.0), args.window)
        found[name] = round(sum(r["fps"] for r in runs), 2)
    return found


def _clip_fps(path: Path) -> float:
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        return float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
    finally:
        capture.release()


def _log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-whole-") as tmp:
        results = run(args, Path(tmp))
    results["duration_s"] = round(time.time() - started, 1)
    report.save_results(results, root=ROOT, prefix="whole-", started=started)
    table = whole_report.markdown(results)
    print(table)
    if args.write_docs:
        whole_report.write_docs(ROOT / "docs" / "benchmarks.md", table, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
