"""What pages, the API and WebSockets show: never "running" for a stream whose lease nobody holds."""

import pytest

from streams import control, selectors
from streams.models import Stream

pytestmark = pytest.mark.django_db
Status = Stream.Status


def test_a_held_stream_without_a_lease_is_shown_starting_and_one_with_a_lease_as_stored(make_stream):
    """GIVEN three streams stored as running: one whose worker holds its lease, one whose lease is gone, and
    one being stopped whose lease is gone WHEN they are shown THEN the first is running, the second starting
    with the reason, the third stopped; nothing was written to the database."""
    held = make_stream(name="held", status=Status.RUNNING, desired_state="running", worker="w")
    lost = make_stream(name="lost", status=Status.RUNNING, desired_state="running", worker="w")
    stopping = make_stream(name="stopping", status=Status.STOPPING, desired_state="stopped", worker="w")
    control.acquire_lease(held.pk, "w:1:a", ttl_s=5)
    try:
        shown = {s.name: s for s in selectors.streams_shown([held, lost, stopping])}
    finally:
        control.release_lease(held.pk, "w:1:a")  # ids come back in the next test's database

    assert shown["held"].status == Status.RUNNING
    assert (shown["lost"].status, shown["lost"].status_reason) == (Status.STARTING, selectors.WORKER_GONE_REASON)
    assert shown["stopping"].status == Status.STOPPED
    assert Stream.objects.get(pk=lost.pk).status == Status.RUNNING


def test_the_api_shows_the_lost_stream_as_starting(make_stream, client, user_with_role):
    """GIVEN a stream stored as running whose lease is gone WHEN the API is read THEN it says starting."""
    stream = make_stream(status=Status.RUNNING, desired_state="running", worker="w")
    client.force_login(user_with_role("viewer"))

    body = client.get(f"/api/streams/{stream.pk}/").json()

    assert body["status"] == "starting" and body["status_reason"] == selectors.WORKER_GONE_REASON
