"""The stream's tracker on the frame path: Roboflow `trackers`' ByteTrack, one per stream, tuned to the rate
the stream actually processes.

ByteTrack's motion model counts in frames of its `frame_rate`: set to 30 on a stream that processes 7 frames
a second, it predicts boxes a quarter of the way they really went and loses fast objects (measured on the
highway clip: docs/analytics.md). So the analyser first measures the processed rate over the first frames
(boxes carry no ids meanwhile), then builds the tracker with it, and feeds every frame's capture time, so
that a dropped frame is predicted over its real gap. A new pipeline (a max-fps change rebuilds it) measures
again; a zone or line edit keeps the tracker.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import supervision as sv
from trackers import ByteTrackTracker

from analytics.runtime.facts import TRACKS, Track, TrackFacts
from core.frames import FrameContext

CLASS_NAME = "class_name"
TRACE_S = 1.5  # how far back a trace reaches


@dataclass(frozen=True)
class TrackerTuning:
    """Measured on the highway clip with the 320-pixel YOLO11n, whose confidences are lower than the large
    detectors ByteTrack's defaults were set for (0.7 to start a track would miss most cars)."""

    track_activation_threshold: float = 0.4
    high_conf_det_threshold: float = 0.4
    minimum_iou_threshold: float = 0.1
    minimum_consecutive_frames: int = 2
    lost_track_buffer: int = 30  # in 30-fps frames, as the library counts it: 1 s
    warmup_frames: int = 8  # frames over which the processed rate is measured before tracking starts
    warmup_max_s: float = 2.0  # ... or this long, on a slow stream

    def tracker(self, fps: float) -> ByteTrackTracker:
        return ByteTrackTracker(
            frame_rate=fps,
            lost_track_buffer=self.lost_track_buffer,
            track_activation_threshold=self.track_activation_threshold,
            minimum_consecutive_frames=self.minimum_consecutive_frames,
            minimum_iou_threshold=self.minimum_iou_threshold,
            high_conf_det_threshold=self.high_conf_det_threshold,
        )


class ClassVotes:
    """How often one track was seen as each class, and the leader so far."""

    __slots__ = ("counts", "leader")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.leader = ""

    def add(self, name: str) -> str:
        self.counts[name] = self.counts.get(name, 0) + 1
        if name != self.leader and self.counts[name] > self.counts.get(self.leader, 0):
            self.leader = name
        return self.leader


class TrackerAnalyser:
    """Sets ctx.detections.tracker_id (-1: not confirmed), steadies class names per track, and puts the
    confirmed tracks in ctx.facts[TRACKS]. Draws short traces when `traces` is on."""

    name = TRACKS

    def __init__(self, *, tuning: TrackerTuning | None = None, traces: bool = False,
                 make_tracker: Callable[[float], ByteTrackTracker] | None = None) -> None:  # fmt: skip
        self.tuning = tuning or TrackerTuning()
        self.traces = traces  # the runner may switch it while the stream runs
        self._make_tracker = make_tracker or self.tuning.tracker
        self._tracker: ByteTrackTracker | None = None
        self._warmup: list[float] = []
        self.fps = 0.0
        self._votes: dict[int, ClassVotes] = {}
        self._trails: dict[int, deque[tuple[int, int]]] = {}
        self._frames = 0

    def analyse(self, ctx: FrameContext) -> None:
        tracker = self._tracker or self._measure(ctx.at)
        if tracker is None:
            ctx.detections.tracker_id = np.full(len(ctx.detections), -1, dtype=int)
            ctx.facts[self.name] = TrackFacts(tracks=(), unconfirmed=len(ctx.detections), fps=0.0)
            return
        tracked = tracker.update(ctx.detections, timestamp=ctx.at)
        self._steady_classes(tracked)
        ctx.detections = tracked
        ids = tracked.tracker_id.tolist()
        names = tracked.data[CLASS_NAME].tolist() if len(tracked) else []
        boxes = tracked.xyxy.tolist()
        tracks = tuple(Track(tid, str(name), tuple(box)) for tid, name, box in zip(ids, names, boxes, strict=True)
                       if tid >= 0)  # fmt: skip
        ctx.facts[self.name] = TrackFacts(tracks=tracks, unconfirmed=len(ids) - len(tracks), fps=self.fps)
        self._frames += 1
        if self.traces:
            self._extend_trails(tracks)
        if self._frames % 100 == 0:
            self._prune({track.tracker_id for track in tracker.tracks})

    def draw(self, image: np.ndarray, ctx: FrameContext) -> np.ndarray:
        """Short traces of the confirmed tracks in this frame (ids are on the boxes' labels)."""
        facts = ctx.facts.get(self.name)
        if not self.traces or facts is None:
            return image
        thickness = max(1, round(ctx.frame_size[0] / 640))
        for track in facts.tracks:
            trail = self._trails.get(track.tracker_id)
            if trail and len(trail) > 1:
                points = np.array(trail, dtype=np.int32).reshape(-1, 1, 2)
                cv2.polylines(image, [points], False, (80, 220, 255), thickness, cv2.LINE_AA)
        return image

    def _measure(self, at: float) -> ByteTrackTracker | None:
        self._warmup.append(at)
        elapsed = self._warmup[-1] - self._warmup[0]
        if len(self._warmup) < self.tuning.warmup_frames and elapsed < self.tuning.warmup_max_s:
            return None
        self.fps = float(np.clip((len(self._warmup) - 1) / elapsed, 1.0, 60.0)) if elapsed > 0 else 30.0
        self._tracker = self._make_tracker(self.fps)
        return self._tracker

    def _steady_classes(self, tracked: sv.Detections) -> None:
        """A track keeps the class it was seen as most often, so counts per class do not split one object."""
        names = tracked.data.get(CLASS_NAME)
        if names is None or len(tracked) == 0:
            return
        steady = names.tolist()
        for index, (tid, name) in enumerate(zip(tracked.tracker_id.tolist(), steady, strict=True)):
            if tid >= 0:
                votes = self._votes.setdefault(tid, ClassVotes())
                steady[index] = votes.add(str(name))
        tracked.data[CLASS_NAME] = np.array(steady, dtype=object)

    def _extend_trails(self, tracks: tuple[Track, ...]) -> None:
        length = max(2, round(self.fps * TRACE_S))
        for track in tracks:
            x1, _, x2, y2 = track.xyxy
            trail = self._trails.setdefault(track.tracker_id, deque(maxlen=length))
            trail.append((round((x1 + x2) / 2), round(y2)))

    def _prune(self, alive: set[int]) -> None:
        for table in (self._votes, self._trails):
            for tracker_id in [tid for tid in table if tid not in alive]:
                del table[tracker_id]
