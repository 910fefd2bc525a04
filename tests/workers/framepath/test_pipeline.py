"""What the runner keeps about one built pipeline (workers/framepath/pipeline.py): the config it was built from and the
live settings it follows, with plain values and a stand-in for the streamvision pipeline."""

import dataclasses

import pytest

from core.frames import LiveSettings
from streams.models import Stream
from workers.framepath.metrics import StreamMetrics
from workers.framepath.pipeline import PipelineConfig, RunningPipeline
from workers.hosting.observe import PipelineWatch


def _stream(**fields) -> Stream:
    values = {"pk": 7, "source": "rtsp://cam/live", "max_fps": 5.0, "model": "", "confidence": 0.25, "classes": []}
    return Stream(**{**values, **fields})


def test_the_config_is_built_from_the_stream_and_the_default_model():
    """GIVEN a stream with no model of its own, and one with a model WHEN their configs are taken THEN they
    carry source, max fps and the model, the default one where the stream names none."""
    assert PipelineConfig.of(_stream(), default_model="yolo") == PipelineConfig("rtsp://cam/live", 5.0, "yolo")
    assert PipelineConfig.of(_stream(model="yolov8n"), default_model="yolo").model == "yolov8n"


def test_a_config_is_frozen_and_only_pipeline_settings_tell_two_apart():
    """GIVEN two streams that differ only in live settings (confidence, classes) WHEN their configs compare
    THEN they are equal (no rebuild); a different max fps or source is a different config; a config cannot be
    changed in place."""
    base = PipelineConfig.of(_stream(), default_model="yolo")
    assert PipelineConfig.of(_stream(confidence=0.9, classes=["car"]), default_model="yolo") == base
    assert PipelineConfig.of(_stream(max_fps=10.0), default_model="yolo") != base
    assert PipelineConfig.of(_stream(source="0"), default_model="yolo") != base
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.max_fps = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(("max_fps", "limit"), [(None, 3.0), (5.0, 3.0), (0.5, 6.0)])
def test_the_stall_limit_allows_three_frame_intervals_at_a_low_frame_rate(max_fps, limit):
    """GIVEN a 3 s stall setting WHEN the config's max fps is none, 5 or 0.5 THEN the stall limit is 3, 3 or
    6 s: a slow stream is not called lost between two of its frames."""
    assert PipelineConfig("0", max_fps, "yolo").stall_limit_s(3.0) == limit


class MutablePipeline:
    """Stands in for streamvision's pipeline: it records mute/resume, and refuses until its source runs."""

    def __init__(self) -> None:
        self.source_running = False
        self.calls: list[str] = []

    def mute_stream(self) -> None:
        if not self.source_running:
            raise RuntimeError("source not running")
        self.calls.append("mute")

    def resume_stream(self) -> None:
        self.calls.append("resume")


def test_a_running_pipeline_follows_live_settings_and_mutes_once_its_source_runs():
    """GIVEN a running pipeline WHEN the stream asks for a pause and other classes THEN the classes apply at
    once, the mute waits until the source runs, and then the state says paused."""
    pipeline = MutablePipeline()
    run = RunningPipeline(
        stream_id=7, pipeline=pipeline, config=PipelineConfig("0", None, "yolo"),  # type: ignore[arg-type]
        live=LiveSettings(confidence=0.25, iou=0.45), metrics=StreamMetrics(7), watch=PipelineWatch(),
    )
    run.follow(_stream(desired_state="paused", classes=["car"], confidence=0.5, status="starting"))
    assert (run.live.classes, run.live.confidence, run.paused_wanted) == (frozenset({"car"}), 0.5, True)
    run.apply_pause()
    assert not run.state(now=0.0).paused and pipeline.calls == []
    pipeline.source_running = True
    run.apply_pause()
    assert run.state(now=0.0).paused and pipeline.calls == ["mute"]
