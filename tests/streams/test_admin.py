"""The admin's list actions go through the services and are logged with the user who gave them."""

import pytest

from streams import reconciler, services
from streams.models import Stream, StreamEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.lifecycle]


@pytest.mark.parametrize(
    ("action", "desired"),
    [("pause_selected", "paused"), ("resume_selected", "running"), ("restart_selected", "running"),
     ("stop_selected", "stopped"), ("start_selected", "running")],
)
def test_list_actions_set_the_desired_state_of_the_selected_streams(admin_client, monkeypatch, action, desired):
    """GIVEN two stopped streams WHEN an admin list action is applied to one THEN only that one changes its
    desired state, and its event log names the admin."""
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)
    chosen = services.stream_create(name="a", source="0", start=False)
    other = services.stream_create(name="b", source="0", start=False)
    response = admin_client.post(
        "/admin/streams/stream/", {"action": action, "_selected_action": [chosen.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Stream.objects.get(pk=chosen.pk).desired_state == desired
    assert Stream.objects.get(pk=other.pk).desired_state == "stopped"
    assert StreamEvent.objects.filter(stream_id=chosen.pk, kind="command", actor="admin").exists()


def test_stream_change_page_shows_the_event_log_and_the_worker_list_loads(admin_client):
    """GIVEN a stream with events WHEN the admin opens it and the worker list THEN both pages render."""
    stream = services.stream_create(name="cam", source="0", start=False)
    assert "created (start disabled)" in admin_client.get(f"/admin/streams/stream/{stream.pk}/change/").content.decode()
    assert admin_client.get("/admin/streams/workernode/").status_code == 200
    assert admin_client.get("/admin/streams/streamevent/").status_code == 200
