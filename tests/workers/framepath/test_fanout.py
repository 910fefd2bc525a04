"""Fan-out cost on the worker side: FrameSink (its publish stage) and ChannelPublisher in this process, publishing
through the real channel layer to WebSocket viewers on the running product's Daphne.

The sink encodes a frame at most once per watched size whatever the number of viewers, and nothing at all
while nobody watches. Worker CPU is measured per thread (the thread that runs the sink plus the publisher's
event-loop thread), so the viewers' own client code in this process is not counted.
"""

import datetime
import multiprocessing
import statistics
import threading
import time

import cv2
import numpy as np
import pytest
import supervision as sv
from streamvision.camera.entities import VideoFrame

from stack.processes import wait_until
from testbed.viewers import viewers_in_process

pytestmark = pytest.mark.stack

FRAMES_PER_ROUND = 40
PACE_S = 0.1  # 10 fps, a rate the viewers keep up with
VIEWER_CACHE_S = 0.6  # longer than WatchedSizes' 0.5 s cache


@pytest.fixture(scope="module")
def frames(assets_dir) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(assets_dir / "traffic_highway.mp4"))
    images = [capture.read()[1] for _ in range(FRAMES_PER_ROUND)]
    capture.release()
    return images


def _detections() -> sv.Detections:
    """Ten boxes, as a busy road gives: the drawing cost is part of what a frame costs."""
    boxes = np.array([[60 + 110 * i, 300, 150 + 110 * i, 380] for i in range(10)], dtype=np.float32)
    return sv.Detections(xyxy=boxes, confidence=np.full(10, 0.8, np.float32), class_id=np.full(10, 2),
                         data={"class_name": np.array(["car"] * 10)})


@pytest.fixture
def harness(live_stack):
    """A stopped stream record, a publisher on the stack's channel layer and a sink for the stream."""
    from channels_redis.core import RedisChannelLayer

    from core.frames import LiveSettings
    from workers.framepath.annotate import FrameAnnotator
    from workers.framepath.metrics import StreamMetrics
    from workers.framepath.publish import ChannelPublisher
    from workers.framepath.stages import FrameSink

    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    name = f"fanout-{time.monotonic_ns()}"
    stream = live_stack.api("POST", "/api/streams/", {"name": name, "source": source, "start": False}).body
    layer = RedisChannelLayer(hosts=[live_stack.env["REDIS_URL"]], capacity=20, expiry=5)
    publisher = ChannelPublisher.init(layer=layer)
    sink = FrameSink.init(stream_id=stream["id"], origin="test", annotator=FrameAnnotator.init(), publisher=publisher,
                          metrics=StreamMetrics(stream["id"]), live=LiveSettings(confidence=0.25, iou=0.45))
    yield stream["id"], sink, publisher
    live_stack.api("DELETE", f"/api/streams/{stream['id']}/")


def _encoded(sink) -> dict:  # noqa: ANN001 - a FrameSink
    """JPEGs its publish stage made per size."""
    from workers.framepath.stages import PublishFrame

    return sink.stage(PublishFrame).encoded


def _thread_cpu_s(ident: int) -> float:
    """CPU time of another thread of this process, in ns resolution (psutil's per-thread times come in 10 ms
    clock ticks: too coarse for ≈ 1.5 ms per frame)."""
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


def _publisher_thread_id() -> int:
    return next(t.ident for t in threading.enumerate() if t.name == "channel-publisher")


def _feed(sink, images: list[np.ndarray], first_id: int) -> float:
    """Runs the frames through the sink at PACE_S; returns the CPU seconds this thread spent in it."""
    detections = _detections()
    spent = 0.0
    for offset, image in enumerate(images):
        frame = VideoFrame(image=image, frame_id=first_id + offset, frame_timestamp=datetime.datetime.now())
        started = time.thread_time()
        sink(detections, frame)
        spent += time.thread_time() - started
        time.sleep(PACE_S)
    return spent


def _round(live_stack, stream_id: int, size: str, count: int, work) -> tuple[list[int], object]:  # noqa: ANN001
    """`count` viewers of one size, in a process of their own, connected while `work` (a callable) runs here;
    returns each viewer's frame count and what `work` returned."""
    from streams import viewers

    url = f"{live_stack.ws_base}/ws/streams/{stream_id}/?size={size}"
    headers = {"Cookie": live_stack.session_cookie(), "Origin": live_stack.url}
    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    process = context.Process(target=viewers_in_process, args=(url, headers, count, stop, results), daemon=True)
    process.start()
    redis = live_stack.redis()
    try:
        wait_until(lambda: viewers.viewer_counts(stream_id=stream_id, client=redis)[size] == count, timeout=30,
                   what=f"{count} {size} viewers registered")
        time.sleep(VIEWER_CACHE_S)  # the sink's cached answer to "who watches" is now fresh
        result = work()
        time.sleep(0.5)  # the last frames reach the viewers
        stop.set()
        return results.get(timeout=30), result
    finally:
        stop.set()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


def test_nothing_is_encoded_while_nobody_watches_and_each_size_once(live_stack, harness, frames):
    """GIVEN a sink publishing a stream WHEN frames pass with no viewer, then with three tile viewers
    THEN nothing is drawn or encoded at first; then each frame is encoded once, at tile size only, and
    every tile viewer receives frames no wider than a tile."""
    stream_id, sink, _ = harness
    _feed(sink, frames[:10], first_id=1)
    assert sum(_encoded(sink).values()) == 0

    received, _ = _round(live_stack, stream_id, "tile", 3, lambda: _feed(sink, frames, first_id=100))
    assert _encoded(sink)["full"] == 0
    assert _encoded(sink)["tile"] == len(frames)
    assert all(n > 0 for n in received), received


def test_twenty_viewers_cost_the_worker_what_one_viewer_costs(live_stack, harness, frames):
    """GIVEN a sink publishing full-size frames WHEN rounds of frames pass with 1 viewer and with 20 viewers
    (alternating, three times each; the viewers run in a process of their own, as browsers would)
    THEN each frame is encoded exactly once in every round, all 20 viewers receive
    frames, and the worker CPU per frame with 20 viewers is within 10 % of that with one."""
    stream_id, sink, _ = harness
    per_frame: dict[int, list[float]] = {1: [], 20: []}
    for round_no, count in enumerate((1, 20) * 3):
        encoded_before = _encoded(sink)["full"]

        def work(first_id: int = 1000 * (round_no + 1)) -> float:
            publisher_thread = _publisher_thread_id()
            publisher_before = _thread_cpu_s(publisher_thread)
            spent = _feed(sink, frames, first_id)
            return spent + _thread_cpu_s(publisher_thread) - publisher_before

        received, cpu_s = _round(live_stack, stream_id, "full", count, work)
        assert _encoded(sink)["full"] - encoded_before == len(frames)
        assert all(n >= len(frames) // 2 for n in received), received
        per_frame[count].append(cpu_s / len(frames))
    one, twenty = statistics.median(per_frame[1]), statistics.median(per_frame[20])
    print(f"worker CPU per frame: 1 viewer {one * 1000:.2f} ms, 20 viewers {twenty * 1000:.2f} ms")
    assert twenty <= one * 1.10, per_frame
