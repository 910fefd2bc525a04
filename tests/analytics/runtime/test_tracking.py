"""The tracker analyser (analytics/runtime/tracking.py) with the real ByteTrack: tuned to the measured rate,
ids only for confirmed tracks, one class per track, traces only when asked for."""

import datetime

import numpy as np
import supervision as sv
from streamvision.camera.entities import VideoFrame

from analytics.runtime.facts import TRACKS
from analytics.runtime.tracking import TrackerAnalyser
from core.frames import FrameContext

IMAGE = np.zeros((720, 1280, 3), dtype=np.uint8)


def cars(y: float, names: tuple[str, ...] = ("car", "car")) -> sv.Detections:
    """Two cars side by side, their boxes' bottoms at `y`."""
    xyxy = np.array([[300, y - 80, 420, y], [700, y - 80, 820, y]], dtype=np.float32)
    return sv.Detections(xyxy=xyxy, confidence=np.array([0.9, 0.85], dtype=np.float32),
                         class_id=np.array([2, 2]), data={"class_name": np.array(names, dtype=object)})  # fmt: skip


def feed(analyser: TrackerAnalyser, frames: list[sv.Detections], fps: float, start: float = 1000.0) -> list:
    contexts = []
    for index, detections in enumerate(frames):
        ctx = FrameContext(frame=VideoFrame(image=IMAGE, frame_id=index, frame_timestamp=datetime.datetime.now()),
                           detections=detections, at=start + index / fps)  # fmt: skip
        analyser.analyse(ctx)
        contexts.append(ctx)
    return contexts


def test_it_measures_the_processed_rate_first_then_tracks_with_ids_and_facts():
    """GIVEN two cars moving down the picture at 12 frames per second WHEN fed to the tracker analyser THEN the
    first frames carry no ids (it measures the rate: 12 fps), then both cars get a steady id, and the facts list
    the confirmed tracks with their class and box."""
    analyser = TrackerAnalyser()
    contexts = feed(analyser, [cars(200 + 10 * i) for i in range(20)], fps=12.0)
    assert all((ctx.detections.tracker_id == -1).all() for ctx in contexts[:8])
    assert abs(analyser.fps - 12.0) < 0.01
    last = contexts[-1].facts[TRACKS]
    assert len(last.tracks) == 2 and last.unconfirmed == 0 and last.fps == analyser.fps
    assert {track.class_name for track in last.tracks} == {"car"}
    ids = [tuple(sorted(ctx.detections.tracker_id)) for ctx in contexts[12:]]
    assert len(set(ids)) == 1 and min(ids[0]) >= 0


def test_a_track_keeps_the_class_it_was_seen_as_most_often():
    """GIVEN a car the detector calls a truck in one frame WHEN tracked THEN its track stays a car in that
    frame too."""
    frames = [cars(200 + 10 * i) for i in range(16)] + [cars(360, names=("truck", "car"))]
    contexts = feed(TrackerAnalyser(), frames, fps=10.0)
    assert sorted(contexts[-1].detections.data["class_name"]) == ["car", "car"]


def test_traces_are_drawn_only_when_switched_on():
    """GIVEN tracked cars WHEN the frame is drawn with traces off, then on THEN nothing is drawn, then a trace
    behind each car is."""
    analyser = TrackerAnalyser()
    frames = [cars(200 + 10 * i) for i in range(20)]
    ctx = feed(analyser, frames, fps=10.0)[-1]
    assert not analyser.draw(IMAGE.copy(), ctx).any()
    analyser.traces = True
    ctx = feed(analyser, [cars(400 + 10 * i) for i in range(5)], fps=10.0, start=1002.0)[-1]
    assert analyser.draw(IMAGE.copy(), ctx).any()
