"""Fan-out: worker CPU per frame and Daphne CPU and memory against the number of WebSocket viewers of one
stream, then Daphne's memory while a client that never reads stays connected.

Usage: ASSETS_DIR=../shared/assets .venv/bin/python bench/fanout.py [--viewers 0,1,5,20] [--seconds 15]
       [--rounds 2] [--stall-seconds 60] [--fps 10]
Starts its own Valkey, Triton, Celery worker and Daphne (as the tests do) on a temporary database, runs the
highway clip at --fps, and prints one JSON object. Each viewer count is measured --rounds times, interleaved
(0,1,5,20,0,1,…), and summarised by the median, because a shared machine makes single windows noisy.
Worker CPU is the whole worker process tree (decode, inference client, annotation, JPEG, publishing), divided
by the frames the stream processed meanwhile.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from testbed.viewers import StalledClient, ViewerStats, rss_mb, viewer  # noqa: E402


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants."""
    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


async def wait_for(predicate, timeout: float, what: str) -> None:  # noqa: ANN001 - a no-argument callable
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Bench:
    ws_url: str
    headers: dict
    worker_pid: int
    web_pid: int

    async def phase(self, viewers: int, seconds: float) -> dict:
        """`viewers` clients (plus one metrics-only observer when there are none) for `seconds`."""
        stop = asyncio.Event()
        stats = [ViewerStats() for _ in range(max(viewers, 1))]
        urls = [self.ws_url] * viewers or [self.ws_url.replace("size=full", "size=none")]
        tasks = [asyncio.create_task(viewer(url, self.headers, stop, s)) for url, s in zip(urls, stats, strict=True)]
        if viewers:
            await wait_for(lambda: all(s.frames >= 3 for s in stats), 60, f"{viewers} viewers' first frames")
        await wait_for(lambda: stats[0].metrics >= 2, 30, "metrics")
        cpu0, web0, frames0, got0 = tree_cpu_s(self.worker_pid), tree_cpu_s(self.web_pid), stats[0].frames_total, \
            [s.frames for s in stats]
        await asyncio.sleep(seconds)
        cpu1, web1, frames1 = tree_cpu_s(self.worker_pid), tree_cpu_s(self.web_pid), stats[0].frames_total
        stop.set()
        await asyncio.gather(*tasks)
        frames = max(frames1 - frames0, 1)
        received = [s.frames - g for s, g in zip(stats, got0, strict=True)] if viewers else []
        return {
            "viewers": viewers, "frames_processed": frames1 - frames0,
            "worker_cpu_ms_per_frame": round(1000 * (cpu1 - cpu0) / frames, 2),
            "daphne_cpu_ms_per_frame": round(1000 * (web1 - web0) / frames, 2),
            "daphne_rss_mb": round(rss_mb(self.web_pid), 1),
            "min_frames_received_per_viewer": min(received) if received else None,
        }

    async def stalled(self, seconds: float) -> dict:
        """One client that never reads, next to one normal viewer, for `seconds`."""
        stop = asyncio.Event()
        normal = ViewerStats()
        task = asyncio.create_task(viewer(self.ws_url, self.headers, stop, normal))
        await wait_for(lambda: normal.frames >= 3 and normal.metrics >= 2, 60, "the normal viewer")
        rss0 = rss_mb(self.web_pid)
        stalled = StalledClient(self.ws_url, self.headers)
        peak, frames0, got0 = rss0, normal.frames_total, normal.frames
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(1)
            peak = max(peak, rss_mb(self.web_pid))
        rss1, produced, received = rss_mb(self.web_pid), normal.frames_total - frames0, normal.frames - got0
        stalled.close()
        stop.set()
        await task
        return {
            "seconds": seconds, "daphne_rss_start_mb": round(rss0, 1), "daphne_rss_end_mb": round(rss1, 1),
            "daphne_rss_peak_mb": round(peak, 1), "daphne_rss_growth_mb": round(rss1 - rss0, 1),
            "frames_produced": produced, "frames_received_by_normal_viewer": received,
        }


def start_stack(work: Path):  # noqa: ANN201 - (stack, triton, valkey)
    from stack.triton_server import EmbeddedTriton
    from stack.valkey import EmbeddedValkey

    assets = Path(os.environ.get("ASSETS_DIR", ROOT / "assets")).resolve()
    valkey = EmbeddedValkey(work_dir=work / "valkey")
    valkey.start()
    os.environ["REDIS_URL"] = valkey.url
    import django

    django.setup()
    from testbed.live_stack import start_live_stack

    triton = EmbeddedTriton(venv=ROOT / ".venv-triton", onnx_path=assets / "yolo11n_320_dyn.onnx",
                            work_dir=work / "triton")
    triton.start()
    stack = start_live_stack(work_dir=work / "live", redis_url=valkey.url, triton_url=triton.url, assets_dir=assets,
                             workers={"fanout": 1})
    return stack, triton, valkey


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", default="0,1,5,20")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--stall-seconds", type=float, default=60)
    parser.add_argument("--fps", type=float, default=10)
    args = parser.parse_args()
    from testbed.live_stack import run_async

    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        stack, triton, valkey = start_stack(Path(tmp))
        try:
            source = str(stack.assets_dir / "traffic_highway.mp4")
            stream = stack.api("POST", "/api/streams/", {"name": "fanout", "source": source, "max_fps": args.fps}).body
            stack.wait_for_status(stream["id"], "running", timeout=120)
            bench = Bench(ws_url=f"{stack.ws_base}/ws/streams/{stream['id']}/?size=full",
                          headers={"Cookie": stack.session_cookie(), "Origin": stack.url},
                          worker_pid=stack.procs["worker-fanout"].pid, web_pid=stack.procs["web"].pid)
            counts = [int(n) for n in args.viewers.split(",")]
            phases = [run_async(bench.phase(n, args.seconds)) for _ in range(args.rounds) for n in counts]
            stall = run_async(bench.stalled(args.stall_seconds)) if args.stall_seconds > 0 else None
        finally:
            stack.stop()
            triton.stop()
            valkey.stop()
    print(json.dumps({"stream_max_fps": args.fps, "cpus": os.cpu_count(), "summary": summarise(phases),
                      "phases": phases, "never_reading_client": stall}, indent=2))


def summarise(phases: list[dict]) -> list[dict]:
    """Median per viewer count of each per-frame number."""
    import statistics

    rows = []
    for count in dict.fromkeys(p["viewers"] for p in phases):
        mine = [p for p in phases if p["viewers"] == count]
        rows.append({
            "viewers": count,
            "worker_cpu_ms_per_frame": statistics.median(p["worker_cpu_ms_per_frame"] for p in mine),
            "daphne_cpu_ms_per_frame": statistics.median(p["daphne_cpu_ms_per_frame"] for p in mine),
            "daphne_rss_mb": max(p["daphne_rss_mb"] for p in mine),
        })
    return rows


if __name__ == "__main__":
    main()
