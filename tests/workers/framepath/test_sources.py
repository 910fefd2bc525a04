"""How a stream's source is opened (workers/framepath/sources.py): a file is played like a camera, in real time and
looped,
but waits for a pipeline slower than the file instead of dropping frames; a camera keeps streamvision's live
defaults."""

import threading
import time
from pathlib import Path

import pytest

from workers.framepath.sources import FILE_DECODING_BUFFER, source_buffering, video_reference

pytestmark = pytest.mark.slow


class SlowInference:
    """Stands in for Triton: 60 ms a frame (about 16 fps, half the clip's 29.8), recording each frame's id."""

    def __init__(self, want: int) -> None:
        self.frame_ids: list[int] = []
        self.done = threading.Event()
        self._want = want

    def __call__(self, frames: list) -> list[dict]:
        time.sleep(0.06)
        self.frame_ids.extend(frame.frame_id for frame in frames)
        if len(self.frame_ids) >= self._want:
            self.done.set()
        return [{} for _ in frames]


class Captures:
    """Counts the frames the source grabbed (and so decoded), from streamvision's status updates."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, update) -> None:  # noqa: ANN001 - streamvision's StatusUpdate
        if update.event_type == "FRAME_CAPTURED":
            self.count += 1


def test_a_file_behind_the_pipeline_waits_and_loses_no_frame(assets_dir: Path):
    """GIVEN the 29.8 fps traffic clip as a stream's file source and inference that takes 60 ms a frame
    WHEN the product's pipeline options play it for 40 frames
    THEN the frames reach inference in order with no gap (none dropped), and the source grabbed only the frames
    inference took plus its short queue: nothing was decoded in vain."""
    from workers.hosting.process import configure_stream_runtime

    configure_stream_runtime()
    from streamvision.stream.pipeline import InferencePipeline

    source = str(assets_dir / "traffic_highway.mp4")
    inference, captures = SlowInference(want=40), Captures()
    pipeline = InferencePipeline.init_with_custom_logic(
        video_reference=video_reference(source), on_video_frame=inference, on_prediction=lambda *_: None,
        status_update_handlers=[captures], **source_buffering(source),
    )  # fmt: skip
    pipeline.start(use_main_thread=False)
    try:
        assert inference.done.wait(timeout=30), f"only {len(inference.frame_ids)} frames in 30 s"
        taken, grabbed = list(inference.frame_ids), captures.count
    finally:
        pipeline.terminate()
        pipeline.join()
    assert taken == list(range(taken[0], taken[0] + len(taken))), f"frames were dropped: {taken}"
    # One frame may be in inference's hands, one being decoded, and the queue full.
    assert grabbed - len(taken) <= FILE_DECODING_BUFFER + 2, f"grabbed {grabbed} for {len(taken)} taken"


@pytest.mark.parametrize("source", ["rtsp://cam.example/live", "http://cam.example/mjpeg", "0"])
def test_live_sources_keep_streamvisions_live_defaults(source: str):
    """GIVEN a camera, an HTTP stream or a webcam WHEN their buffer options are asked for THEN there are none:
    streamvision's live defaults apply (a full buffer drops its oldest frame: a camera does not wait for us)."""
    assert source_buffering(source) == {}
