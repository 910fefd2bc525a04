import asyncio
import json

import cv2
import numpy as np
import pytest
import websockets

from testbed.live_stack import run_async

pytestmark = pytest.mark.stack


async def _watch(url: str, cookie: str, origin: str, want_frames: int, timeout: float) -> tuple[list, list]:
    frames, metrics = [], []
    headers = {"Cookie": cookie, "Origin": origin}
    async with websockets.connect(url, additional_headers=headers, max_size=8 * 2**20) as ws:
        await ws.send(json.dumps({"type": "ack"}))
        async with asyncio.timeout(timeout):
            while len(frames) < want_frames or not any(m.get("detections", {}).get("car") for m in metrics):
                message = await ws.recv()
                if isinstance(message, bytes):
                    frames.append(message)
                    await ws.send(json.dumps({"type": "ack"}))
                else:
                    payload = json.loads(message)
                    if payload["type"] == "metrics":
                        metrics.append(payload)
    return frames, metrics


def test_pipeline_delivers_annotated_frames_with_cars_to_a_websocket_client(live_stack, triton_url):
    """GIVEN a stream record in the running product and a logged-in WebSocket client on Daphne
    WHEN this process runs the stream's InferencePipeline on traffic_highway.mp4 with the real Triton,
         publishing through the real channel layer on the stack's Valkey
    THEN the client receives decodable 1280x720 JPEG frames and metrics that count cars."""
    from channels_redis.core import RedisChannelLayer

    from workers.hosting.process import configure_stream_runtime

    configure_stream_runtime()
    from streamvision.stream.pipeline import InferencePipeline

    from core.frames import LiveSettings
    from workers.framepath.annotate import FrameAnnotator
    from workers.framepath.metrics import StreamMetrics
    from workers.framepath.publish import ChannelPublisher
    from workers.framepath.sources import video_reference
    from workers.framepath.stages import FrameInference, FrameSink
    from workers.inference.detector import Detector

    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    stream = live_stack.api("POST", "/api/streams/", {"name": "ws-pipeline", "source": source, "start": False}).body
    layer = RedisChannelLayer(hosts=[live_stack.env["REDIS_URL"]], capacity=20, expiry=5)
    publisher = ChannelPublisher.init(layer=layer)
    metrics = StreamMetrics(stream["id"], interval_s=0.5)
    live = LiveSettings(confidence=0.25, iou=0.45)
    sink = FrameSink.init(stream_id=stream["id"], origin="test", annotator=FrameAnnotator.init(), publisher=publisher,
                          metrics=metrics, live=live)
    detector = Detector.init(url=triton_url, model_name="yolo", timeout_s=10)

    async def publish_metrics_while(task: asyncio.Task) -> None:
        while not task.done():
            message = metrics.snapshot_if_due()
            if message:
                publisher.publish(f"stream-{stream['id']}", dict(message))
            await asyncio.sleep(0.1)

    async def scenario() -> tuple[list, list]:
        watch = asyncio.create_task(
            _watch(
                f"{live_stack.ws_base}/ws/streams/{stream['id']}/",
                live_stack.session_cookie(),
                live_stack.url,
                want_frames=5,
                timeout=60,
            )
        )
        await asyncio.sleep(0.5)  # let the client join the group before the first frame
        pipeline = InferencePipeline.init_with_custom_logic(
            video_reference=video_reference(source),
            on_video_frame=FrameInference(detector, metrics, live),
            on_prediction=sink,
            max_fps=10,
        )
        pipeline.start(use_main_thread=False)
        try:
            await publish_metrics_while(watch)
            return await watch
        finally:
            pipeline.terminate()
            pipeline.join()

    frames, metrics_seen = run_async(scenario())
    image = cv2.imdecode(np.frombuffer(frames[-1], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (720, 1280, 3)
    assert any(m["detections"].get("car", 0) >= 1 for m in metrics_seen)
    assert all(m["inference_errors"] == 0 for m in metrics_seen)
