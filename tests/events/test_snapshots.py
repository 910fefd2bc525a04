"""Snapshots on disk and their retention (events/snapshots.py)."""

import cv2
import numpy as np
import pytest

from events import snapshots
from events.models import Event
from tests.events.fixtures import days_ago

pytestmark = pytest.mark.django_db


def test_a_snapshot_is_the_frame_with_the_box_highlighted_and_a_thumbnail(make_event):
    """GIVEN an event started with an image WHEN its files are read THEN the JPEG has the frame's size, the
    highlight colour on the box's edge, and the thumbnail is 320 px wide at most."""
    event = make_event(image_kb=200)
    full = cv2.imread(str(snapshots.media_path(event.snapshot)))
    thumb = cv2.imread(str(snapshots.media_path(event.thumbnail)))
    assert full.shape[:2] == (120, 600) and thumb.shape[1] <= 320
    edge = full[5, 20].astype(int)  # on the box's top edge
    assert np.abs(edge - np.array(snapshots.HIGHLIGHT_BGR)).max() < 60
    assert event.snapshot_bytes == snapshots.media_path(event.snapshot).stat().st_size + snapshots.media_path(
        event.thumbnail).stat().st_size


def test_a_stored_name_cannot_leave_the_media_directory():
    """GIVEN a name with ../ WHEN it is resolved THEN it is refused."""
    assert snapshots.media_path("../../etc/passwd") is None
    assert snapshots.media_path("1/2026-01-01/x.jpg") is not None


def test_a_tiny_disk_cap_removes_the_oldest_snapshots_first_and_their_events_say_so(make_event):
    """GIVEN five events with snapshots, started a day apart WHEN the cap leaves room for about two THEN the three
    oldest lose their files and say when and why, the two newest keep theirs."""
    events = [make_event(started_at=days_ago(5 - n), image_kb=40, tracker_id=n) for n in range(5)]
    sizes = [event.snapshot_bytes for event in events]
    result = snapshots.snapshots_prune(max_age_days=30, max_bytes=sizes[3] + sizes[4] + 10)
    assert (result.aged, result.capped) == (0, 3)
    for event in events:
        event.refresh_from_db()
    for old in events[:3]:
        assert old.snapshot_pruned_at is not None and "cap" in old.snapshot_pruned_reason
        assert not old.has_snapshot and not snapshots.media_path(old.snapshot).exists()
    for new in events[3:]:
        assert new.snapshot_pruned_at is None and snapshots.media_path(new.snapshot).exists()
    assert snapshots.media_bytes() <= sizes[3] + sizes[4] + 10


def test_snapshots_older_than_the_retention_go_and_the_event_stays(make_event):
    """GIVEN an event of 40 days ago and one of today WHEN retention is 30 days THEN the old event stays, without
    its snapshot, saying it was older than 30 days."""
    old, new = make_event(started_at=days_ago(40), image_kb=10), make_event(image_kb=10, tracker_id=8)
    result = snapshots.snapshots_prune(max_age_days=30, max_bytes=10**9)
    assert (result.aged, result.capped) == (1, 0)
    old.refresh_from_db(), new.refresh_from_db()
    assert Event.objects.count() == 2
    assert old.snapshot_pruned_reason == "older than 30 days" and new.has_snapshot


def test_deleting_a_stream_removes_its_events_snapshot_files(
    make_event, event_stream, django_capture_on_commit_callbacks
):
    """GIVEN an event with a snapshot WHEN its stream is deleted and that commits THEN the files go with it."""
    event = make_event(image_kb=10)
    paths = [snapshots.media_path(event.snapshot), snapshots.media_path(event.thumbnail)]
    assert all(path.exists() for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        event_stream.delete()
    assert not any(path.exists() for path in paths)
