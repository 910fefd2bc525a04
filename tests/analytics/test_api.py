"""The analytics API (analytics/api.py): zones and lines of a stream, its settings, its counts as JSON
and CSV over any range and bucket, and the reset, on a real database."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from analytics import services
from analytics.models import Line, Zone
from streams.models import StreamEvent
from tests.analytics.conftest import catalog_classes_fixture, stream_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

SQUARE = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]]
T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def api(client, user_with_role):
    client.force_login(user_with_role("operator", "op"))
    return client


def _json(api, method: str, url: str, data: dict | None = None):
    return getattr(api, method)(url, data, content_type="application/json")


def test_a_zone_is_created_listed_changed_and_deleted(api, stream, catalog_classes):
    """GIVEN a stream WHEN a zone is POSTed, listed, PATCHed and DELETEd THEN each answers with the zone as
    stored, and the event log names the user."""
    url = f"/api/streams/{stream.pk}/zones/"
    created = _json(api, "post", url, {"name": "door", "points": SQUARE, "classes": ["person"]})
    assert created.status_code == 201, created.json()
    zone = created.json()
    assert (zone["name"], zone["points"], zone["anchor"]) == ("door", SQUARE, "BOTTOM_CENTER")
    assert [z["name"] for z in api.get(url).json()] == ["door"]
    changed = _json(api, "patch", f"{url}{zone['id']}/", {"name": "front door"})
    assert changed.status_code == 200 and changed.json()["name"] == "front door"
    assert api.delete(f"{url}{zone['id']}/").status_code == 204
    assert Zone.objects.count() == 0
    assert StreamEvent.objects.filter(actor="op", message__startswith="zone 'front door'").count() == 2


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("zones", {"name": "z", "points": [[0.1, 0.1], [0.5, 0.5]]}, "points"),
        ("zones", {"name": "z", "points": [[0.2, 0.2], [0.8, 0.8], [0.8, 0.2], [0.2, 0.8]]}, "points"),
        ("zones", {"name": "z", "points": [[0.1, 0.1], [2, 0.1], [0.5, 0.5]]}, "points"),
        ("zones", {"name": "z", "points": SQUARE, "classes": ["unicorn"]}, "classes"),
        ("zones", {"points": SQUARE}, "name"),
        ("lines", {"name": "l", "points": [[0.3, 0.3], [0.3, 0.3]]}, "points"),
        ("lines", {"name": "l", "points": [[0.1, 0.5], [0.9, 0.5]], "in_side": "north"}, "in_side"),
    ],
)
def test_bad_shapes_get_400_with_a_message_and_nothing_is_stored(api, stream, catalog_classes, kind, payload, field):
    """GIVEN a stream WHEN a bad zone or line is POSTed THEN 400 names the field with a message and nothing is
    stored."""
    response = _json(api, "post", f"/api/streams/{stream.pk}/{kind}/", payload)
    assert response.status_code == 400
    assert response.json()[field][0]
    assert Zone.objects.count() + Line.objects.count() == 0


def test_a_line_of_another_stream_or_of_no_stream_is_not_found(api, stream):
    """GIVEN a line of a stream WHEN it is asked for under another stream id, or a missing stream's lines are
    listed THEN 404."""
    line = services.line_create(stream=stream, name="gate", points=[[0.1, 0.5], [0.9, 0.5]])
    assert api.get(f"/api/streams/{stream.pk}/lines/{line.pk}/").status_code == 200
    assert api.get(f"/api/streams/{stream.pk + 1}/lines/{line.pk}/").status_code == 404
    assert api.get(f"/api/streams/{stream.pk + 1}/lines/").status_code == 404


def _stored_counts(stream) -> tuple[Zone, Line]:
    line = services.line_create(stream=stream, name="gate", points=[[0.1, 0.5], [0.9, 0.5]])
    zone = services.zone_create(stream=stream, name="yard", points=SQUARE)
    deltas = {}
    for minute in range(0, 180, 30):  # 10:00, 10:30, ... 12:30
        at = int((T0 + timedelta(minutes=minute)).timestamp())
        deltas[("line", line.pk, "car", "in", at)] = 2
        deltas[("zone", zone.pk, "person", "enter", at)] = 1
    services.counts_record(stream_id=stream.pk, deltas=deltas, collected_since=datetime.now(UTC))
    return zone, line


def test_counts_come_per_minute_hour_or_day_for_any_range(api, stream):
    """GIVEN counts stored every half hour from 10:00 to 12:30 WHEN asked for 10:00-12:00 per minute, per hour
    and per day THEN the buckets hold the sums, with the line's name."""
    _, line = _stored_counts(stream)
    url = f"/api/streams/{stream.pk}/counts/?from=2026-05-04T10:00:00Z&to=2026-05-04T12:00:00Z&bucket="
    minutes = api.get(url + "minute").json()
    assert [(r["start"][11:16], r["metric"], r["count"]) for r in minutes if r["kind"] == "line"] == [
        ("10:00", "in", 2), ("10:30", "in", 2), ("11:00", "in", 2), ("11:30", "in", 2)
    ]
    hours = [(r["start"][11:16], r["count"]) for r in api.get(url + "hour").json() if r["metric"] == "in"]
    assert hours == [("10:00", 4), ("11:00", 4)]
    [day] = [r for r in api.get(url + "day").json() if r["kind"] == "line"]
    assert (day["name"], day["object_id"], day["class_name"], day["count"]) == ("gate", line.pk, "car", 8)


def test_counts_download_as_csv(api, stream):
    """GIVEN stored counts WHEN counts.csv is asked for the whole day per hour THEN a CSV with a header and one
    row per hour, object, class and metric."""
    _stored_counts(stream)
    response = api.get(f"/api/streams/{stream.pk}/counts.csv?from={int(T0.timestamp())}&to="
                       f"{int((T0 + timedelta(hours=4)).timestamp())}&bucket=hour")  # fmt: skip
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    zone_rows = [(r["start"][11:16], r["name"], r["metric"], r["count"]) for r in rows if r["kind"] == "zone"]
    assert zone_rows == [(hour, "yard", "enter", "2") for hour in ("10:00", "11:00", "12:00")]


@pytest.mark.parametrize("query", ["bucket=week", "from=2026-05-04T12:00:00Z&to=2026-05-04T10:00:00Z",
                                   "from=yesterday", "from=2026-01-01T00:00:00Z&to=2026-05-01T00:00:00Z"])  # fmt: skip
def test_bad_count_queries_get_400(api, stream, query):
    """GIVEN a stream WHEN counts are asked with an unknown bucket, a backwards or unreadable range, or too many
    minutes THEN 400 with a message."""
    response = api.get(f"/api/streams/{stream.pk}/counts/?{query}")
    assert response.status_code == 400 and any(response.json().values())


def test_reset_zeroes_the_counts_and_the_log_says_who(api, stream):
    """GIVEN stored counts WHEN reset through the API THEN no count is left and the event log names the user."""
    _stored_counts(stream)
    response = api.post(f"/api/streams/{stream.pk}/counts/reset/")
    assert response.status_code == 200 and response.json()["buckets_deleted"] == 12
    assert api.get(f"/api/streams/{stream.pk}/counts/?from=2026-05-04T00:00:00Z&to=2026-05-05T00:00:00Z").json() == []
    assert StreamEvent.objects.filter(message="analytics counts reset", actor="op").exists()


def test_analytics_settings_read_and_change(api, stream):
    """GIVEN a stream WHEN its analytics settings are read and traces switched on THEN tracking is on by default,
    traces off, then on; the minimum rate for tracking is shown."""
    url = f"/api/streams/{stream.pk}/analytics/"
    assert api.get(url).json() == {"tracking": True, "traces": False, "counts_reset_at": None, "min_tracking_fps": 10.0}
    assert _json(api, "patch", url, {"traces": True}).json()["traces"] is True
    assert _json(api, "patch", url, {"tracking": "maybe"}).status_code == 400


def test_the_schema_lists_the_analytics_endpoints_and_anonymous_callers_are_refused(api, client, stream):
    """GIVEN the API WHEN its schema is read THEN zones, lines, counts, CSV and reset are described; WHEN a
    logged-out client asks for zones THEN it is refused."""
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for suffix in ("zones/", "zones/{id}/", "lines/", "counts/", "counts.csv", "counts/reset/", "analytics/"):
        assert f"/api/streams/{{stream_id}}/{suffix}" in paths
    api.logout()
    assert api.get(f"/api/streams/{stream.pk}/zones/").status_code in (401, 403)
