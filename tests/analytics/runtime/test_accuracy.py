"""Counting accuracy on real video against a ground truth counted by eye (data/traffic_highway_line.json: how it
was counted, frame by frame): the product's count is within ±10 % per direction, with the real Triton,

- at the clip's full frame rate: every frame detected, then fed to the stream's analysers as the database
  defines them (and the clip played backwards, for the other direction), plus a sweep of lower rates;
- at the rate the stream actually processes on this machine: the product's own pipeline (build_pipeline: the
  file paced like a camera, waiting when inference is slower, as files do) over one pass of the clip.
"""

import datetime
import json
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamvision.camera.entities import VideoFrame

from analytics import selectors, services
from analytics.runtime.facts import LINES
from analytics.runtime.live import StreamAnalytics
from core.frames import FrameContext
from streams import services as stream_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TRUTH = json.loads((Path(__file__).parent / "data" / "traffic_highway_line.json").read_text())
RATES = (15.0, 10.0)  # the sweep's rates that must hold (ANALYTICS_MIN_TRACKING_FPS is 10); lower ones are shown


def within_10_percent(found: int, truth: int) -> bool:
    return abs(found - truth) <= 0.1 * truth


@pytest.fixture(scope="module")
def clip_detections(triton_url: str, assets_dir: Path) -> tuple[list, list[float], tuple[int, int]]:
    """Every frame of the clip through the real Detector (letterbox → Triton → boxes), with its time stamp."""
    from workers.inference.detector import Detector

    detector = Detector.init(url=triton_url, model_name="yolo")
    capture = cv2.VideoCapture(str(assets_dir / TRUTH["clip"]))
    found, stamps, size = [], [], (0, 0)
    while True:
        ok, image = capture.read()
        if not ok:
            break
        stamps.append(capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
        size = (image.shape[1], image.shape[0])
        found.append(detector.detect([image], confidence=0.25, iou=0.45)[0])
    capture.release()
    assert len(found) == TRUTH["frames"]
    return found, stamps, size


@pytest.fixture
def highway(assets_dir: Path):
    stream = stream_services.stream_create(name="highway", source=str(assets_dir / TRUTH["clip"]), start=False)
    line = TRUTH["line"]
    services.line_create(stream=stream, name="across", points=line["points"], in_side=line["in_side"],
                         anchor=line["anchor"])  # fmt: skip
    return stream


def count(stream_id: int, detections: list, gaps: list[float], size: tuple[int, int]) -> dict[str, int]:
    """The stream's analysers (from the database) over these detections, `gaps` seconds apart."""
    analytics = StreamAnalytics.init(stream_id=stream_id, origin="test")
    image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    found = {"in": 0, "out": 0}
    at = time.time() - sum(gaps) - 1
    for index, (dets, gap) in enumerate(zip(detections, gaps, strict=True)):
        at += gap
        ctx = FrameContext(frame=VideoFrame(image=image, frame_id=index + 1, frame_timestamp=datetime.datetime.now()),
                           detections=dets[:] if len(dets) else dets, at=at, analysers=analytics.analysers)  # fmt: skip
        for analyser in ctx.analysers:
            analyser.analyse(ctx)
        for facts in ctx.facts[LINES].values():
            for crossing in facts.crossings:
                found[crossing.direction] += 1
    return found


def test_counts_at_the_clip_full_frame_rate_match_the_hand_count(clip_detections, highway):
    """GIVEN the line across the lanes and the clip's 11 vehicles counted by eye (all 'in'; 'out' when played
    backwards) WHEN every frame is detected by the real Triton and counted by the stream's analysers, forwards
    and backwards, and at 15 and 10 fps (every 2nd and 3rd frame) THEN each direction is within ±10 % of the
    hand count; lower rates are printed (they are why the page warns below 10 fps)."""
    detections, stamps, size = clip_detections
    gaps = [0.0] + [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    truth = TRUTH["ground_truth"]
    forwards = count(highway.pk, detections, gaps, size)
    backwards = count(highway.pk, detections[::-1], gaps, size)
    print(f"\nfull rate ({len(detections) / stamps[-1]:.1f} fps): forwards {forwards}, backwards {backwards}")
    assert within_10_percent(forwards["in"], truth["in"]) and forwards["out"] == truth["out"]
    assert within_10_percent(backwards["out"], truth["reversed_clip"]["out"]) and backwards["in"] == 0
    for rate in (*RATES, 7.5, 5.0):
        step = round(29.8 / rate)
        sampled, sampled_gaps = detections[::step], [0.0] + [step / 29.8] * (len(detections[::step]) - 1)
        fwd, bwd = count(highway.pk, sampled, sampled_gaps, size), count(highway.pk, sampled[::-1], sampled_gaps, size)
        print(f"{29.8 / step:.1f} fps: forwards {fwd}, backwards {bwd}")
        if rate in RATES:
            assert within_10_percent(fwd["in"], truth["in"]) and fwd["out"] == 0, (rate, fwd)
            assert within_10_percent(bwd["out"], truth["in"]) and bwd["in"] == 0, (rate, bwd)


class PassRecorder:
    """The last analyser of the stream's tuple: the line crossings of the clip's first pass (frame ids 1..335),
    and when the first frame of the second pass arrived."""

    name = "pass-recorder"

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.found = {"in": 0, "out": 0}
        self.processed: list[float] = []
        self.done = threading.Event()

    def analyse(self, ctx: FrameContext) -> None:
        if int(ctx.frame.frame_id) > self.frames:
            self.done.set()
            return
        self.processed.append(ctx.at)
        for facts in ctx.facts[LINES].values():
            for crossing in facts.crossings:
                self.found[crossing.direction] += 1


class NoViewers:
    def publish(self, group: str, message: dict, timeout: float = 2.0) -> bool:
        return True

    def watched_sizes(self, stream_id: int):  # noqa: ANN201 - nobody watches: nothing is drawn or encoded
        return lambda: frozenset()


def test_counts_at_the_rate_this_machine_processes_match_the_hand_count(triton_url, highway):
    """GIVEN the stream with its line WHEN the product's pipeline (build_pipeline, the real Triton) plays one
    pass of the clip paced like a camera THEN each direction is within
    ±10 % of the hand count, and the counts it stores equal what it counted."""
    from workers.framepath.annotate import FrameAnnotator
    from workers.framepath.build import build_pipeline
    from workers.hosting.process import configure_stream_runtime
    from workers.inference.detector import Detector

    configure_stream_runtime()
    run = build_pipeline(highway, Detector.init(url=triton_url, model_name="yolo"), annotator=FrameAnnotator.init(),
                         publisher=NoViewers(), origin="test")  # fmt: skip
    recorder = PassRecorder(TRUTH["frames"])
    run.live.analysers = (*run.live.analysers, recorder)
    run.pipeline.start(use_main_thread=False)
    try:
        assert recorder.done.wait(timeout=90), "the clip's first pass did not finish"
    finally:
        run.stop()
    fps = (len(recorder.processed) - 1) / (recorder.processed[-1] - recorder.processed[0])
    truth = TRUTH["ground_truth"]
    print(f"\nprocessed {len(recorder.processed)} of {TRUTH['frames']} frames ({fps:.1f} fps): {recorder.found}")
    assert within_10_percent(recorder.found["in"], truth["in"]) and recorder.found["out"] == truth["out"]
    stored = selectors.count_totals(stream_id=highway.pk)
    assert {metric: n for (_, _, _, metric), n in stored.items()} == {k: n for k, n in recorder.found.items() if n}
