"""The event log (streams/audit.py)."""

import pytest

from streams import audit
from streams.models import StreamEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]


def test_event_pruning_keeps_the_newest(make_stream):
    """GIVEN a stream with many events WHEN pruned to 5 THEN the 5 newest remain."""
    stream = make_stream()
    for i in range(12):
        StreamEvent.objects.create(stream=stream, kind="state", message=f"e{i}")
    audit.stream_events_prune(keep=5)
    assert list(StreamEvent.objects.filter(stream=stream).values_list("message", flat=True)) == [
        "e11", "e10", "e9", "e8", "e7"
    ]


def test_recorded_messages_never_show_a_camera_password(make_stream):
    """GIVEN a message that is a camera URL with a password, and a very long one WHEN recorded THEN the log
    shows the URL redacted, and the long one cut to the column's 500 characters."""
    stream = make_stream()
    event = audit.event_record(stream=stream, kind="error", message="rtsp://user:pw@cam/live")
    assert event.message == "rtsp://user:***@cam/live"
    assert len(audit.event_record(stream=stream, kind="error", message="x" * 900).message) == 500
