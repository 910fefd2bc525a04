"""Time from `python -m stack` (what `make run` runs) to the first annotated frame of each demo stream on a
WebSocket, the processed fps of each demo stream, and the time to stop everything on Ctrl-C.

Usage: ASSETS_DIR=../shared/assets .venv/bin/python bench/first_frame.py [--seconds 20]
Prints one JSON object. Runs on a fresh, temporary database and runtime directory.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stack.processes import free_port  # noqa: E402
from testbed.live_stack import LiveStack, run_async  # noqa: E402


def launch(var_dir: Path, port: int) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, VAR_DIR=str(var_dir), WEB_PORT=str(port), DJANGO_SUPERUSER_PASSWORD="bench-password")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stack"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    for line in proc.stdout:
        if "StreamVision is running" in line:
            return proc, float(re.search(r"\(([\d.]+) s\)", line).group(1))
        if proc.poll() is not None:
            break
    raise SystemExit(f"launcher exited early ({proc.returncode})")


async def watch(stack: LiveStack, stream_id: int, seconds: float, t0: float) -> dict:
    import websockets

    url = f"{stack.ws_base}/ws/streams/{stream_id}/"
    headers = {"Cookie": stack.session_cookie(), "Origin": stack.url}
    first_frame, fps, latency = None, [], []
    async with websockets.connect(url, additional_headers=headers, max_size=2**24) as ws:
        await ws.send('{"type":"ack"}')
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = await ws.recv()
            if isinstance(message, bytes):
                first_frame = first_frame or time.monotonic() - t0
                await ws.send('{"type":"ack"}')
            elif (payload := json.loads(message))["type"] == "metrics" and payload["frames_total"] > 5:
                fps.append(payload["fps"])
                latency.append(payload["inference_ms"])
    return {
        "first_frame_s": round(first_frame, 2) if first_frame else None,
        "fps_median": statistics.median(fps) if fps else None,
        "inference_ms_median": statistics.median(latency) if latency else None,
    }


async def watch_all(stack: LiveStack, stream_ids: tuple[int, ...], seconds: float, t0: float) -> list[dict]:
    return await asyncio.gather(*(watch(stack, stream_id, seconds, t0) for stream_id in stream_ids))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        t0 = time.monotonic()
        proc, url_s = launch(Path(tmp), port)
        stack = LiveStack(url=f"http://127.0.0.1:{port}", env={}, assets_dir=Path(), log_dir=Path(tmp),
                          admin_password="bench-password")
        try:
            demo_ids = (1, 2)  # Highway and People (dashboard/demo.py), created in that order on an empty database
            results = run_async(watch_all(stack, demo_ids, args.seconds, t0))
            streams = dict(zip(demo_ids, results, strict=True))
        finally:
            stopped = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            stop_s = time.monotonic() - stopped
    print(json.dumps({"url_printed_s": url_s, "streams": streams, "ctrl_c_to_exit_s": round(stop_s, 2),
                      "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
