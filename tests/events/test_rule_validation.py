"""The rule kinds on zones and lines are validated in one place (Rule.clean, through events.services) and every
way in says so: the API answers 400, the browser form and the admin form show the error, nothing is stored."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from analytics.models import Line, Zone
from events import services
from events.models import Rule
from streams import services as stream_services

pytestmark = pytest.mark.django_db

SQUARE = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
ACROSS = [[0.1, 0.5], [0.9, 0.5]]


@pytest.fixture
def shapes(event_stream, coco_catalog, tmp_path):
    """The stream's zone and line, and a zone and a line of another stream."""
    (tmp_path / "other.mp4").write_bytes(b"x")
    other = stream_services.stream_create(name="yard", source=str(tmp_path / "other.mp4"), start=False)
    return {
        "zone": Zone.objects.create(stream=event_stream, name="door", points=SQUARE),
        "line": Line.objects.create(stream=event_stream, name="gate", points=ACROSS),
        "other_zone": Zone.objects.create(stream=other, name="yard zone", points=SQUARE),
        "other_line": Line.objects.create(stream=other, name="yard line", points=ACROSS),
    }


@pytest.fixture
def manager(user_with_role) -> Client:
    client = Client()
    client.force_login(user_with_role("admin"))
    return client


def _bad(shapes: dict) -> list[tuple[dict, str]]:
    """(rule fields, the field whose error it is): each must be refused."""
    return [
        ({"kind": "overcrowded", "zone": shapes["other_zone"], "max_occupancy": 3}, "zone"),
        ({"kind": "loitering", "zone": shapes["other_zone"], "dwell_s": 5}, "zone"),
        ({"kind": "object", "zone": shapes["other_zone"]}, "zone"),
        ({"kind": "line_crossed", "line": shapes["other_line"]}, "line"),
        ({"kind": "line_crossed"}, "line"),
        ({"kind": "overcrowded", "max_occupancy": 3}, "zone"),
        ({"kind": "loitering", "dwell_s": 5}, "zone"),
        ({"kind": "overcrowded", "zone": shapes["zone"]}, "max_occupancy"),
        ({"kind": "overcrowded", "zone": shapes["zone"], "max_occupancy": -1}, "max_occupancy"),
        ({"kind": "loitering", "zone": shapes["zone"], "dwell_s": -2}, "dwell_s"),
        ({"kind": "loitering", "zone": shapes["zone"]}, "dwell_s"),
        ({"kind": "stream_down", "zone": shapes["zone"]}, "zone"),
        ({"kind": "overcrowded", "zone": shapes["zone"], "line": shapes["line"], "max_occupancy": 1}, "line"),
    ]


def test_the_service_refuses_each_bad_rule_and_stores_nothing(event_stream, shapes):
    """GIVEN zones and lines of two streams WHEN a rule is made with another stream's zone or line, without the
    zone or line its kind needs, or with a negative or missing threshold THEN ValidationError names the field and
    no rule is stored; the right ones are stored."""
    for fields, field in _bad(shapes):
        with pytest.raises(ValidationError) as error:
            services.rule_create(stream=event_stream, name="bad", **fields)
        assert field in error.value.error_dict, (fields, error.value)
    assert not Rule.objects.exists()
    services.rule_create(stream=event_stream, name="crowd", kind="overcrowded", zone=shapes["zone"], max_occupancy=0)
    services.rule_create(stream=event_stream, name="cross", kind="line_crossed", line=shapes["line"], direction="in")
    services.rule_create(stream=event_stream, name="stay", kind="loitering", zone=shapes["zone"], dwell_s=0)
    services.rule_create(stream=event_stream, name="in door", kind="object", zone=shapes["zone"], classes=["person"])
    assert Rule.objects.count() == 4


def _as_json(fields: dict) -> dict:
    return {name: value.pk if isinstance(value, Zone | Line) else value for name, value in fields.items()}


def test_the_api_answers_400_for_each_bad_rule_and_stores_nothing(manager, event_stream, shapes):
    """GIVEN the rules API WHEN each bad rule is posted THEN 400 with the field's error; nothing stored. A good line
    rule is 201 and shows its line and direction; patching in another stream's line is 400 and changes nothing."""
    for fields, field in _bad(shapes):
        body = {"stream": event_stream.pk, "name": "bad", **_as_json(fields)}
        response = manager.post("/api/event-rules/", body, content_type="application/json")
        assert response.status_code == 400 and field in response.json(), (fields, response.json())
    assert not Rule.objects.exists()
    body = {"stream": event_stream.pk, "name": "cross", "kind": "line_crossed", "line": shapes["line"].pk,
            "direction": "out"}  # fmt: skip
    made = manager.post("/api/event-rules/", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["line"] == shapes["line"].pk and made.json()["direction"] == "out"
    patch = manager.patch(f"/api/event-rules/{made.json()['id']}/", {"line": shapes["other_line"].pk},
                          content_type="application/json")  # fmt: skip
    assert patch.status_code == 400 and "line" in patch.json()
    assert Rule.objects.get().line == shapes["line"]


def test_the_browser_form_shows_the_error_and_stores_nothing(manager, event_stream, shapes):
    """GIVEN the new-rule page WHEN an overcrowding rule is sent with another stream's zone, then with a negative
    number THEN the page shows each error and stores nothing; sent right, the rule is stored."""
    form = {"stream": event_stream.pk, "name": "crowd", "kind": "overcrowded", "zone": shapes["other_zone"].pk,
            "max_occupancy": "3", "min_score": "0.5", "min_duration_s": "0", "cooldown_s": "0",
            "enabled": "on"}  # fmt: skip
    page = manager.post(reverse("event-rule-create"), form).content.decode()
    assert "belongs to another stream" in page and not Rule.objects.exists()
    page = manager.post(reverse("event-rule-create"), {**form, "zone": shapes["zone"].pk, "max_occupancy": "-1"})
    assert "greater than or equal to 0" in page.content.decode() and not Rule.objects.exists()
    assert "lobby: door" in manager.get(reverse("event-rule-create")).content.decode()
    response = manager.post(reverse("event-rule-create"), {**form, "zone": shapes["zone"].pk})
    assert response.status_code == 302 and Rule.objects.get().max_occupancy == 3
    assert "zone “door”, more than 3" in manager.get(reverse("event-rules")).content.decode()


def test_the_admin_form_shows_the_error_and_stores_nothing(admin_client, event_stream, shapes):
    """GIVEN the admin's add-rule form WHEN a line rule is sent with another stream's line THEN the form shows the
    error and nothing is stored; with the stream's own line it is stored."""
    form = {"stream": event_stream.pk, "name": "cross", "kind": "line_crossed", "classes": "[]",
            "line": shapes["other_line"].pk, "direction": "either", "min_score": "0.5", "min_duration_s": "0",
            "cooldown_s": "0", "enabled": "on"}  # fmt: skip
    page = admin_client.post(reverse("admin:events_rule_add"), form).content.decode()
    assert "belongs to another stream" in page and not Rule.objects.exists()
    response = admin_client.post(reverse("admin:events_rule_add"), {**form, "line": shapes["line"].pk})
    assert response.status_code == 302 and Rule.objects.get().line == shapes["line"]
