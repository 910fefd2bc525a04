"""The admin edits zones and lines through the services: bad shapes are form errors that store nothing, good
ones are logged with the admin's name and wake the stream's worker; the counts can be reset from the list."""

import json
from datetime import UTC, datetime

import pytest

from analytics import services
from analytics.models import CountBucket, Zone
from streams import control
from streams.models import StreamEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _zone_form(stream, points) -> dict:
    return {"stream": stream.pk, "name": "door", "points": json.dumps(points), "classes": "[]",
            "anchor": "BOTTOM_CENTER"}  # fmt: skip


def test_a_self_intersecting_zone_is_a_form_error_and_a_good_one_is_saved_through_the_services(admin_client, stream):
    """GIVEN the zone add form WHEN a bow-tie outline is saved THEN the form shows why and nothing is stored;
    WHEN a square is saved THEN it is stored, logged with the admin's name, and the worker is woken."""
    bow_tie = [[0.2, 0.2], [0.8, 0.8], [0.8, 0.2], [0.2, 0.8]]
    response = admin_client.post("/admin/analytics/zone/add/", _zone_form(stream, bow_tie))
    assert response.status_code == 200 and "crosses itself" in response.content.decode()
    assert Zone.objects.count() == 0
    square = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]]
    response = admin_client.post("/admin/analytics/zone/add/", _zone_form(stream, square))
    assert response.status_code == 302
    assert Zone.objects.get().points == square
    assert StreamEvent.objects.filter(message="zone 'door' created", actor="admin").exists()
    assert control.take_commands(stream.pk) == ["sync"]


def test_the_settings_list_resets_the_counts_of_the_selected_streams(admin_client, stream):
    """GIVEN a stream with counts WHEN the admin applies 'reset counts' to its settings THEN its counts are gone
    and the reset is logged with the admin's name; the counts list renders, read-only."""
    line = services.line_create(stream=stream, name="gate", points=[[0.1, 0.5], [0.9, 0.5]])
    row = services.settings_update(stream=stream, traces=True)
    services.counts_record(stream_id=stream.pk, deltas={("line", line.pk, "car", "in", 1_800_000_000): 3},
                           collected_since=datetime.now(UTC))  # fmt: skip
    assert admin_client.get("/admin/analytics/countbucket/").status_code == 200
    admin_client.post("/admin/analytics/analyticssettings/", {"action": "reset_counts", "_selected_action": [row.pk]})
    assert CountBucket.objects.count() == 0
    assert StreamEvent.objects.filter(message="analytics counts reset", actor="admin").exists()
