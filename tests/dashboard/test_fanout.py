"""Daphne's side of fan-out: a client that never reads costs Daphne no memory, and slows nobody else."""

import asyncio
import os
import time
import uuid

import pytest

from testbed.live_stack import run_async
from testbed.viewers import StalledClient, ViewerStats, rss_mb, viewer

pytestmark = [pytest.mark.stack, pytest.mark.slow]

# The stalled client is offered STALL_S × FPS frames (about 100 KB each): 300 in `make test`, as many as the
# 60 s at 5 fps of docs/dashboard.md's figures, so a Daphne that buffered them would grow by ~30 MB either way.
STALL_S = float(os.environ.get("FANOUT_STALL_S", "20"))
FPS = 15
MAX_RSS_GROWTH_MB = 20


@pytest.fixture
def running_stream(live_stack):
    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    name = f"stall {uuid.uuid4().hex[:6]}"
    stream = live_stack.api("POST", "/api/streams/", {"name": name, "source": source, "max_fps": FPS}).body
    live_stack.wait_for_status(stream["id"], "running", timeout=60)
    yield stream["id"]
    live_stack.api("DELETE", f"/api/streams/{stream['id']}/")


async def _stall_next_to_a_viewer(live_stack, stream_id: int) -> tuple[float, float, ViewerStats, int]:
    url = f"{live_stack.ws_base}/ws/streams/{stream_id}/?size=full"
    headers = {"Cookie": live_stack.session_cookie(), "Origin": live_stack.url}
    web_pid = live_stack.procs["web"].pid
    stop, normal = asyncio.Event(), ViewerStats()
    task = asyncio.create_task(viewer(url, headers, stop, normal))
    async with asyncio.timeout(60):
        while normal.frames < 3 or normal.metrics < 2:
            await asyncio.sleep(0.1)
    stalled = StalledClient(url, headers)
    rss_before, produced_before, received_before = rss_mb(web_pid), normal.frames_total, normal.frames
    deadline = time.monotonic() + STALL_S
    while time.monotonic() < deadline:
        await asyncio.sleep(1)
    rss_after = rss_mb(web_pid)
    produced = normal.frames_total - produced_before
    normal.frames -= received_before
    stalled.close()
    stop.set()
    await task
    return rss_before, rss_after, normal, produced


def test_a_client_that_never_reads_leaves_daphne_flat_and_others_at_full_rate(live_stack, running_stream):
    """GIVEN a stream running at FPS and a normal viewer
    WHEN a second client opens the stream's WebSocket, says it is ready once, and then never reads for STALL_S
    THEN Daphne's RSS grows by less than 20 MB and the normal viewer still receives (nearly) every frame."""
    rss_before, rss_after, normal, produced = run_async(_stall_next_to_a_viewer(live_stack, running_stream))
    print(f"Daphne RSS {rss_before:.1f} -> {rss_after:.1f} MB; normal viewer {normal.frames} of {produced} frames")
    assert rss_after - rss_before < MAX_RSS_GROWTH_MB
    assert produced > 0 and normal.frames >= 0.8 * produced
