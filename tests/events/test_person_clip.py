"""End to end on a real clip: a "person appears" rule on one-by-one-person-detection.mp4 (Intel IoT Devkit
sample videos, CC-BY-4.0), through the real Triton, the frame path's sink and the rules stage, the clip's frames
timed as a 10 fps camera processed at 5 fps (every 2nd frame, fed as fast as inference goes: seconds, not the
clip's 139 s).

The clip shows people one at a time. Counted by eye (frames extracted with OpenCV into montages, every
10th frame, then every 2nd frame around each entry and exit, and looked at): 6 visits, first and last frame in
which some part of the person is visible:
  1. frames   60-198  woman, grey cardigan        4. frames  746-870   man, black t-shirt
  2. frames  228-450  man, black hoodie           5. frames  922-1200  woman, dark hair, grey top
  3. frames  502-700  woman, blond, black clothes 6. frames 1234-1360  man, grey shirt
Between visits the room is empty for at least 2.8 s; the clip ends 3.3 s after the last visit.
"""

import copy
import datetime

import cv2
import pytest
import supervision as sv
from streamvision.camera.entities import VideoFrame

from core.frames import LiveSettings
from events import snapshots
from events.models import Event
from events.runtime.stage import RulesStage
from events.runtime.writer import EventWriter
from workers.framepath.annotate import FrameAnnotator
from workers.framepath.metrics import StreamMetrics
from workers.framepath.stages import FrameSink

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CLIP = "one-by-one-person-detection.mp4"
FPS = 10.0
STEP = 2  # every 2nd frame: the 5 fps the product's demo streams run at (DEMO_MAX_FPS)
VISITS = [(60, 198), (228, 450), (502, 700), (746, 870), (922, 1200), (1234, 1360)]
T0 = datetime.datetime(2026, 3, 1, 9, 0, 0, tzinfo=datetime.UTC)


class SilentPublisher:
    def publish(self, group, message, timeout=2.0):
        return True


def _tracker():
    from analytics.runtime.tracking import TrackerAnalyser

    return TrackerAnalyser()


@pytest.fixture(scope="module")
def detector(triton_url):
    from workers.inference.detector import Detector

    return Detector.init(url=triton_url, model_name="yolo", transport="http")


@pytest.fixture(scope="module")
def clip_detections(assets_dir, detector) -> dict[int, sv.Detections]:
    """The detections of every STEP-th frame, found once for both variants (inference is most of the cost)."""
    found, batch = {}, []
    for index, image in _frames(assets_dir / CLIP):
        batch.append((index, image))
        if len(batch) == 8:
            found.update(_detect(detector, batch))
            batch = []
    found.update(_detect(detector, batch))
    return found


def _frames(clip):
    capture, index = cv2.VideoCapture(str(clip)), 0
    while True:
        ok, image = capture.read()
        if not ok:
            return
        if index % STEP == 0:
            yield index, image
        index += 1


def _detect(detector, batch) -> dict[int, sv.Detections]:
    if not batch:
        return {}
    found = detector.detect([image for _, image in batch], confidence=0.25, iou=0.45)
    return {index: detections for (index, _), detections in zip(batch, found, strict=True)}


def _play(clip, detections: dict[int, sv.Detections], person_rule, analysers) -> None:
    """The clip's frames with their detections through the sink, at their capture times as a 10 fps camera."""
    writer = EventWriter.init(start=False)
    stage = RulesStage.init(stream_id=person_rule.stream_id, origin="clip-test", writer=writer)
    sink = FrameSink.init(
        stream_id=person_rule.stream_id, origin="clip-test", annotator=FrameAnnotator.init(),
        publisher=SilentPublisher(), metrics=StreamMetrics(person_rule.stream_id, interval_s=0),
        live=LiveSettings(confidence=0.25, iou=0.45, analysers=analysers), watched=frozenset, after=(stage,),
    )
    for index, image in _frames(clip):
        moment = T0 + datetime.timedelta(seconds=index / FPS)
        sink(copy.deepcopy(detections[index]), VideoFrame(image=image, frame_id=index, frame_timestamp=moment))
        if index % 40 == 0:
            writer.drain()
    writer.drain()


def _frame_of(moment: datetime.datetime) -> float:
    return (moment - T0).total_seconds() * FPS


@pytest.mark.parametrize(
    "tracked",
    [
        pytest.param(False, id="presence"),
        pytest.param(True, id="tracked"),
    ],
)
def test_a_person_rule_on_the_clip_makes_one_event_per_visit_each_with_a_snapshot_of_a_person(
    tracked, assets_dir, detector, clip_detections, person_rule
):
    """GIVEN a "person appears" rule WHEN the whole clip plays (tracked by analytics' tracker, or with none: one
    presence per class) THEN there are exactly 6 events, one inside each visit counted by eye, each ended, with
    a snapshot in which the detector finds a person."""
    analysers = (_tracker(),) if tracked else ()
    _play(assets_dir / CLIP, clip_detections, person_rule, analysers)
    events = list(Event.objects.order_by("started_at"))
    spans = [(round(_frame_of(e.started_at)), round(_frame_of(e.ended_at))) for e in events if e.ended_at]
    assert len(events) == len(VISITS) == len(spans), f"events (start, end frame): {spans}"
    for (start, end), (first, last) in zip(spans, VISITS, strict=True):
        assert first - 5 <= start and end <= last + 5, f"event {start}-{end} is not inside visit {first}-{last}"
    for event in events:
        snapshot = cv2.imread(str(snapshots.media_path(event.snapshot)))
        found = detector.detect([snapshot], confidence=0.5, iou=0.45, classes=["person"])[0]
        assert len(found) >= 1, f"no person in the snapshot of event {event.pk}"
