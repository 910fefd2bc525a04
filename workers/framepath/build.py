"""Building one stream's pipeline: the detector a worker process shares between its streams, and the stages of
a stream's frame path (inference → analysers → annotate → publish → rules), wired into streamvision's
InferencePipeline. The runner (workers/hosting/runner.py) builds, starts and supervises what this returns."""

import functools

from django.conf import settings

from analytics.runtime.live import StreamAnalytics
from core.frames import LiveSettings
from events.runtime.stage import RulesStage
from streams.models import Stream
from workers.framepath.annotate import FrameAnnotator
from workers.framepath.metrics import StreamMetrics
from workers.framepath.pipeline import PipelineConfig, RunningPipeline
from workers.framepath.sources import source_buffering, video_reference
from workers.framepath.stages import DetectsObjects, FrameInference, FrameSink, Publishes
from workers.hosting.observe import PipelineWatch

Desired = Stream.DesiredState


@functools.cache
def shared_detector(model_name: str) -> DetectsObjects:
    """One Triton client per worker process and model, shared by the streams it runs."""
    from workers.inference.detector import Detector

    return Detector.init(
        url=settings.TRITON_URL,
        model_name=model_name,
        timeout_s=settings.TRITON_TIMEOUT_S,
        transport=settings.TRITON_TRANSPORT,
    )


def build_pipeline(
    stream: Stream, detector: DetectsObjects, *, annotator: FrameAnnotator, publisher: Publishes, origin: str
) -> RunningPipeline:
    """The stream's InferencePipeline (not started yet): inference → annotated, published frames."""
    # Imported here: streamvision freezes its process options at first import (workers.hosting.process sets them).
    from streamvision.stream.pipeline import InferencePipeline

    metrics = StreamMetrics(stream.pk, origin=origin)
    watch = PipelineWatch()
    analytics = StreamAnalytics.init(stream_id=stream.pk, origin=origin)
    live = LiveSettings(confidence=stream.confidence, iou=settings.NMS_IOU, classes=frozenset(stream.classes),
                        analysers=analytics.analysers)  # fmt: skip
    rules = RulesStage.init(stream_id=stream.pk, origin=origin)  # events: after publish, off the viewers' path
    sink = FrameSink.init(stream_id=stream.pk, origin=origin, annotator=annotator, publisher=publisher,
                          metrics=metrics, live=live, after=(rules,))  # fmt: skip
    pipeline = InferencePipeline.init_with_custom_logic(
        video_reference=video_reference(stream.source),
        on_video_frame=FrameInference(detector, metrics, live),
        on_prediction=sink,
        max_fps=stream.max_fps,
        status_update_handlers=[watch.on_status_update, metrics.on_status_update],
        **source_buffering(stream.source),
    )
    return RunningPipeline(
        stream_id=stream.pk,
        pipeline=pipeline,
        config=PipelineConfig.of(stream, default_model=settings.TRITON_MODEL_NAME),
        live=live,
        metrics=metrics,
        watch=watch,
        paused_wanted=stream.desired_state == Desired.PAUSED,
        analytics=analytics,
    )
