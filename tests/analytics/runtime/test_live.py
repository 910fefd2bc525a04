"""A running stream's analytics as its runner holds them (analytics/runtime/live.py), on a real database: built
from the stored zones and lines, counts stored once a second, edits and resets applied without losing state."""

import datetime

import numpy as np
import pytest
import supervision as sv
from streamvision.camera.entities import VideoFrame

from analytics import services
from analytics.models import CountBucket
from analytics.runtime.live import StreamAnalytics
from core.frames import FrameContext, LiveSettings

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE = np.zeros((720, 1280, 3), dtype=np.uint8)
ACROSS = [[0.1, 0.5], [0.9, 0.5]]  # y = 360 px
LOWER_HALF = [[0.05, 0.55], [0.95, 0.55], [0.95, 0.99], [0.05, 0.99]]


def car(y: float) -> sv.Detections:
    return sv.Detections(xyxy=np.array([[600, y - 80, 700, y]], dtype=np.float32),
                         confidence=np.array([0.9], dtype=np.float32), class_id=np.array([2]),
                         data={"class_name": np.array(["car"], dtype=object)})  # fmt: skip


def drive(live: LiveSettings, ys: list[float], start: float, fps: float = 10.0) -> float:
    """One car down the picture through the analysers of `live`, as the sink runs them; returns the end time."""
    for index, y in enumerate(ys):
        ctx = FrameContext(frame=VideoFrame(image=IMAGE, frame_id=index, frame_timestamp=datetime.datetime.now()),
                           detections=car(y), at=start + index / fps, analysers=live.analysers)  # fmt: skip
        for analyser in ctx.analysers:
            analyser.analyse(ctx)
    return start + len(ys) / fps


@pytest.fixture
def running(stream):
    line = services.line_create(stream=stream, name="gate", points=ACROSS)
    zone = services.zone_create(stream=stream, name="near", points=LOWER_HALF)
    analytics = StreamAnalytics.init(stream_id=stream.pk, origin="w1:1:x")
    live = LiveSettings(confidence=0.25, iou=0.45, analysers=analytics.analysers)
    return analytics, live, line, zone


def test_counts_reach_the_database_and_the_live_message(running, stream):
    """GIVEN a running stream with a line and a zone WHEN a car drives down across the line into the zone and
    the runner reports THEN the crossing and the entry are stored in their minute buckets and the live message
    shows them, with the car inside the zone now."""
    analytics, live, line, zone = running
    assert [a.name for a in live.analysers] == ["tracker", "lines", "zones"]
    now = datetime.datetime.now(datetime.UTC).timestamp()
    drive(live, list(np.linspace(150, 600, 20)) + [600] * 5, start=now - 4)
    message = analytics.report(fps=10.0)
    stored = {(b.kind, b.object_id, b.class_name, b.metric): b.count for b in CountBucket.objects.all()}
    assert stored == {("line", line.pk, "car", "in"): 1, ("zone", zone.pk, "car", "enter"): 1}
    assert message["lines"] == [{"id": line.pk, "name": "gate", "counts": {"in": {"car": 1}, "out": {}}}]
    [zone_live] = message["zones"]
    assert zone_live["occupancy"] == {"car": 1} and zone_live["counts"]["enter"] == {"car": 1}
    assert message["tracking"] and message["tracking_fps"] == 10.0 and not message["tracking_fps_low"]
    assert analytics.report(fps=10.0)["lines"][0]["counts"]["in"] == {"car": 1}  # nothing counted twice
    assert CountBucket.objects.get(metric="in").count == 1


def test_an_edit_swaps_the_analysers_but_keeps_the_tracker_and_the_zone_state(running, stream):
    """GIVEN a car inside the zone WHEN the zone is renamed and moved a little and the runner syncs THEN the
    stream's analysers are new objects with the same tracker and the same zone counter, the car is still inside
    (no exit, no second entry) and the message shows the new name."""
    analytics, live, _, zone = running
    now = datetime.datetime.now(datetime.UTC).timestamp()
    end = drive(live, list(np.linspace(150, 600, 20)) + [600] * 5, start=now - 6)
    before, tracker, counter = live.analysers, analytics.tracker, analytics.zones.counters[zone.pk]
    services.zone_update(zone=zone, name="near side", points=[[0.05, 0.52], [0.95, 0.52], [0.95, 0.99], [0.05, 0.99]])
    analytics.sync(live)
    assert live.analysers is not before and analytics.tracker is tracker
    assert analytics.zones.counters[zone.pk] is counter
    drive(live, [600] * 5, start=end)
    [zone_live] = analytics.report(fps=10.0)["zones"]
    assert zone_live["name"] == "near side" and zone_live["occupancy"] == {"car": 1}
    assert zone_live["counts"] == {"enter": {"car": 1}, "exit": {}}


def test_a_reset_zeroes_the_live_totals_and_drops_what_was_pending(running, stream):
    """GIVEN a counted crossing not yet stored WHEN the counts are reset and the runner syncs THEN the live
    totals are zero and the pending crossing is never stored."""
    analytics, live, line, _ = running
    now = datetime.datetime.now(datetime.UTC).timestamp()
    drive(live, list(np.linspace(150, 600, 20)), start=now - 3)
    services.counts_reset(stream=stream, actor="ann")
    analytics.sync(live)
    message = analytics.report(fps=10.0)
    assert message["lines"][0]["counts"] == {"in": {}, "out": {}}
    assert CountBucket.objects.count() == 0


def test_tracking_off_drops_the_tracker_and_nothing_counts(running, stream):
    """GIVEN a running stream WHEN tracking is switched off THEN its analysers are lines and zones only, a car
    crossing the line counts nothing, and the message says tracking is off."""
    analytics, live, _, _ = running
    services.settings_update(stream=stream, tracking=False)
    analytics.sync(live)
    assert [a.name for a in live.analysers] == ["lines", "zones"]
    drive(live, list(np.linspace(150, 600, 20)), start=datetime.datetime.now(datetime.UTC).timestamp() - 3)
    message = analytics.report(fps=10.0)
    assert not message["tracking"] and message["lines"][0]["counts"] == {"in": {}, "out": {}}


def test_a_slow_stream_is_flagged_as_too_slow_to_track(running, settings):
    """GIVEN a stream processing 4 frames a second WHEN it reports THEN the message says tracking is unreliable;
    a paused stream (0 fps) keeps the last verdict."""
    analytics, _, _, _ = running
    assert analytics.report(fps=4.0)["tracking_fps_low"]
    assert analytics.report(fps=0.0)["tracking_fps_low"]


def test_a_count_added_while_the_runner_reports_is_never_shown_before_it_is_stored(running, stream):
    """GIVEN a car counted across the line WHEN the sink's thread counts another crossing just as the runner
    takes what is pending to store it THEN the message of that report does not show the new crossing, and the
    stored totals hold at least what the message shows; the next report stores and shows it."""
    analytics, live, line, _ = running
    drive(live, list(np.linspace(150, 600, 20)), start=datetime.datetime.now(datetime.UTC).timestamp() - 4)
    take_pending = analytics.ledger.take_pending

    def take_then_count():  # the sink's thread, right after the runner's take
        taken = take_pending()
        analytics.ledger.add("line", line.pk, "car", "in", datetime.datetime.now(datetime.UTC).timestamp())
        return taken

    analytics.ledger.take_pending = take_then_count
    message = analytics.report(fps=10.0)
    analytics.ledger.take_pending = take_pending

    stored = CountBucket.objects.filter(metric="in").values_list("count", flat=True)
    assert message["lines"][0]["counts"]["in"] == {"car": 1} and sum(stored) == 1
    assert analytics.report(fps=10.0)["lines"][0]["counts"]["in"] == {"car": 2}
    assert sum(CountBucket.objects.filter(metric="in").values_list("count", flat=True)) == 2
