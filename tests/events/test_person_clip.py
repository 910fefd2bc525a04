"""End to end on a real clip: a "person appears" rule on one-by-one-person-detection.mp4 (Intel IoT Devkit
sample videos, CC-BY-4.0), through the real Triton, the frame path's sink and the rules stage, the clip's frames
timed as a 10 fps camera (fed as fast as inference goes, so the test takes seconds, not the clip's 139 s).

The clip shows people one at a time. Counted by eye (frames extracted with OpenCV into montages, every
10th frame, then every 2nd frame around each entry and exit, and looked at): 6 visits, first and last frame in
which some part of the person is visible:
  1. frames   60-198  woman, grey cardigan        4. frames  746-870   man, black t-shirt
  2. frames  228-450  man, black hoodie           5. frames  922-1200  woman, dark hair, grey top
  3. frames  502-700  woman, blond, black clothes 6. frames 1234-1360  man, grey shirt
Between visits the room is empty for at least 2.8 s; the clip ends 3.3 s after the last visit.
"""

import datetime

import cv2
import pytest
from streamvision.camera.entities import VideoFrame

from events import snapshots
from events.models import Event
from workers.annotate import FrameAnnotator
from workers.event_writer import EventWriter
from workers.metrics import StreamMetrics
from workers.rules_stage import RulesStage
from workers.stages import FrameSink, LiveSettings

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CLIP = "one-by-one-person-detection.mp4"
FPS = 10.0
VISITS = [(60, 198), (228, 450), (502, 700), (746, 870), (922, 1200), (1234, 1360)]
T0 = datetime.datetime(2026, 3, 1, 9, 0, 0, tzinfo=datetime.UTC)


class SilentPublisher:
    def publish(self, group, message, timeout=2.0):
        return True


def _tracker():
    from workers.analytics.tracking import TrackerAnalyser  # lands with analytics (issue 10)

    return TrackerAnalyser()


def _play(clip, detector, person_rule, analysers) -> None:
    """Every frame of the clip through detection and the sink, at its 10 fps capture times."""
    writer = EventWriter.init(start=False)
    stage = RulesStage.init(stream_id=person_rule.stream_id, origin="clip-test", writer=writer)
    sink = FrameSink.init(
        stream_id=person_rule.stream_id, origin="clip-test", annotator=FrameAnnotator.init(),
        publisher=SilentPublisher(), metrics=StreamMetrics(person_rule.stream_id, interval_s=0),
        live=LiveSettings(confidence=0.25, iou=0.45, analysers=analysers), watched=frozenset, after=(stage,),
    )
    capture, index, batch = cv2.VideoCapture(str(clip)), 0, []
    while True:
        ok, image = capture.read()
        if ok:
            batch.append(image)
        if batch and (len(batch) == 4 or not ok):
            for image_, detections in zip(batch, detector.detect(batch, confidence=0.25, iou=0.45), strict=True):
                moment = T0 + datetime.timedelta(seconds=index / FPS)
                sink(detections, VideoFrame(image=image_, frame_id=index, frame_timestamp=moment))
                index += 1
            batch = []
            writer.drain()
        if not ok:
            return


def _frame_of(moment: datetime.datetime) -> float:
    return (moment - T0).total_seconds() * FPS


@pytest.mark.parametrize(
    "tracked",
    [
        pytest.param(False, id="presence"),
        pytest.param(True, id="tracked", marks=pytest.mark.xfail(strict=True, reason="needs the analytics tracker")),
    ],
)
def test_a_person_rule_on_the_clip_makes_one_event_per_visit_each_with_a_snapshot_of_a_person(
    tracked, assets_dir, triton_url, person_rule
):
    """GIVEN a "person appears" rule WHEN the whole clip plays (tracked by analytics' tracker, or with none: one
    presence per class) THEN there are exactly 6 events, one inside each visit counted by eye, each ended, with
    a snapshot in which the detector finds a person."""
    from workers.detector import Detector

    analysers = (_tracker(),) if tracked else ()
    detector = Detector.init(url=triton_url, model_name="yolo", transport="http")
    _play(assets_dir / CLIP, detector, person_rule, analysers)
    events = list(Event.objects.order_by("started_at"))
    spans = [(round(_frame_of(e.started_at)), round(_frame_of(e.ended_at))) for e in events if e.ended_at]
    assert len(events) == len(VISITS) == len(spans), f"events (start, end frame): {spans}"
    for (start, end), (first, last) in zip(spans, VISITS, strict=True):
        assert first - 5 <= start and end <= last + 5, f"event {start}-{end} is not inside visit {first}-{last}"
    for event in events:
        snapshot = cv2.imread(str(snapshots.media_path(event.snapshot)))
        found = detector.detect([snapshot], confidence=0.5, iou=0.45, classes=["person"])[0]
        assert len(found) >= 1, f"no person in the snapshot of event {event.pk}"
