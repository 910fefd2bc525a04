"""The whole product (Daphne, reconciler, Celery worker, Valkey, Triton as real processes): API call → first
frame on the WebSocket, frame grab → WebSocket receipt at 1 and N streams, stop latency, worker RSS per stream.

Grab → receipt: the WebSocket carries bare JPEG bytes, so a second subscriber on the stream's frame group of
the channel layer sees the same frames with their `captured_at`; frames are matched by their JPEG digest.
"""

import asyncio
import hashlib
import json
import statistics
import time
from pathlib import Path

import psutil

ACK = json.dumps({"type": "ack"})


def run_product(*, work_dir: Path, triton_url: str, assets_dir: Path, video: str, counts: list[int], fps: float,
                seconds: float) -> dict:  # fmt: skip
    from stack.valkey import EmbeddedValkey
    from testbed.live_stack import run_async, start_live_stack

    valkey = EmbeddedValkey(work_dir=work_dir / "valkey")
    valkey.start()
    stack = None
    try:
        # Database 1 of its own Valkey: the stack's keys and groups never meet anything else.
        stack = start_live_stack(work_dir=work_dir / "live", redis_url=f"{valkey.url.rpartition('/')[0]}/1",
                                 triton_url=triton_url, assets_dir=assets_dir, workers={"w1": max(counts)})  # fmt: skip
        idle_rss = _worker_rss_mb(stack)
        found = {}
        for n in counts:
            found[n] = run_async(_round(stack, n, str(assets_dir / video), fps, seconds))
            found[n]["worker_rss_mb_per_stream"] = (found[n].pop("worker_rss_mb") - idle_rss) / n
        return {"fps_per_stream": fps, "worker_rss_mb_idle": idle_rss, "streams": found}
    finally:
        if stack is not None:
            stack.stop()
        valkey.stop()


async def _round(stack, n: int, source: str, fps: float, seconds: float) -> dict:  # noqa: ANN001 - LiveStack
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[stack.env["REDIS_URL"]], capacity=100, expiry=5)
    cookie = await asyncio.to_thread(stack.session_cookie)
    started = [(time.monotonic(), await asyncio.to_thread(_create, stack, f"bench-{n}-{i}", source, fps))
               for i in range(n)]  # fmt: skip
    watched = await asyncio.gather(*(_watch(stack, layer, cookie, sid, t0, seconds) for t0, sid in started))
    rss = _worker_rss_mb(stack)
    stops = [await asyncio.to_thread(_stop, stack, sid) for _, sid in started]
    latencies = sorted(x for w in watched for x in w["latencies_ms"])
    return {
        "api_to_first_frame_s": statistics.median(w["first_frame_s"] for w in watched if w["first_frame_s"]),
        "grab_to_ws_ms_p50": _q(latencies, 0.5), "grab_to_ws_ms_p95": _q(latencies, 0.95),
        "frames_matched": len(latencies), "frames_received": sum(w["frames"] for w in watched),
        "stop_s": statistics.median(stops), "worker_rss_mb": rss,
    }  # fmt: skip


def _create(stack, name: str, source: str, fps: float) -> int:  # noqa: ANN001 - LiveStack
    response = stack.api("POST", "/api/streams/", {"name": name, "source": source, "max_fps": fps})
    if response.status != 201:
        raise RuntimeError(f"creating a stream failed: {response.status} {response.body}")
    return int(response.body["id"])


def _stop(stack, stream_id: int) -> float:  # noqa: ANN001 - LiveStack
    started = time.monotonic()
    stack.api("POST", f"/api/streams/{stream_id}/stop/")
    stack.wait_for_status(stream_id, "stopped", timeout=60)
    elapsed = time.monotonic() - started
    stack.api("DELETE", f"/api/streams/{stream_id}/")
    return elapsed


async def _watch(stack, layer, cookie: str, stream_id: int, t0: float, seconds: float) -> dict:  # noqa: ANN001
    import websockets

    channel = await layer.new_channel()
    group = f"stream-{stream_id}.frames.full"
    await layer.group_add(group, channel)
    captured: dict[bytes, float] = {}
    listener = asyncio.create_task(_listen(layer, channel, captured))
    received: list[tuple[bytes, float]] = []
    first = None
    url = f"{stack.ws_base}/ws/streams/{stream_id}/?size=full"
    try:
        async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": stack.url},
                                      max_size=2**24) as ws:  # fmt: skip
            await ws.send(ACK)
            deadline = time.monotonic() + seconds + 30  # the first frame may take a while on a loaded host
            while time.monotonic() < deadline:
                try:
                    message = await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic())
                except TimeoutError:
                    break  # the window ended between two frames
                if isinstance(message, bytes):
                    received.append((hashlib.sha1(message).digest(), time.time()))
                    if first is None:
                        first = time.monotonic() - t0
                        deadline = time.monotonic() + seconds
                    await ws.send(ACK)
        await asyncio.sleep(0.5)  # the subscriber's copy of the last frames may still be on its way
    finally:
        listener.cancel()
        await layer.group_discard(group, channel)
    latencies = [(now - captured[digest]) * 1000 for digest, now in received if digest in captured]
    return {"first_frame_s": first, "latencies_ms": latencies, "frames": len(received)}


async def _listen(layer, channel: str, captured: dict[bytes, float]) -> None:  # noqa: ANN001 - channel layer
    while True:
        message = await layer.receive(channel)
        if message.get("type") == "stream.frame":
            captured[hashlib.sha1(message["jpeg"]).digest()] = float(message["captured_at"])


def _worker_rss_mb(stack) -> float:  # noqa: ANN001 - LiveStack
    """Proportional set size of the worker's process tree: RSS would count the forked pool's shared pages
    once per process."""
    total = 0
    for name, proc in stack.procs.items():
        if name.startswith("worker"):
            parent = psutil.Process(proc.pid)
            total += sum(p.memory_full_info().pss for p in [parent, *parent.children(recursive=True)])
    return total / 2**20


def _q(values: list[float], q: float) -> float | None:
    return values[min(len(values) - 1, int(q * len(values)))] if values else None
