"""The first `make run`'s demo (dashboard/demo.py through the bootstrap command): the demo streams with a counting
line and its rule on the highway clip, a zone and a "person appears" rule on the person clip; and the wall's
"Remove demo streams". Real database, real assets, the real bootstrap command (no worker runs: on-commit
callbacks, which would wake one, never run in these rolled-back tests)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from analytics.models import AnalyticsSettings, CountBucket, Line, Zone
from dashboard import demo
from events.models import Event, Rule
from streams import reconciler
from streams import services as stream_services
from streams.models import Stream, StreamEvent

pytestmark = pytest.mark.django_db

HIGHWAY, PEOPLE = "Highway", "People"
OWN_CLIP = "traffic_highway.mp4"  # an operator's own stream may show a sample clip too


@pytest.fixture
def demo_settings(settings, assets_dir: Path, coco_catalog, monkeypatch) -> Path:
    """`make run`'s settings: demo streams on, sample videos in ASSETS_DIR (a media directory), a catalog that
    knows the model's classes (as bootstrap's sync from Triton leaves it). No worker runs here: the streams
    bootstrap resumes are not queued."""
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)
    settings.DEMO_STREAMS, settings.ASSETS_DIR, settings.STREAM_MEDIA_DIRS = True, assets_dir, [assets_dir]
    settings.TRITON_URL = ""  # bootstrap's catalog sync: nothing to reach, the catalog above stays
    return assets_dir


def _bootstrap() -> dict:
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def _demo_streams() -> dict[str, Stream]:
    return {stream.name: stream for stream in Stream.objects.filter(demo=True)}


def test_bootstrap_on_an_empty_database_makes_the_demo_with_a_line_a_zone_and_their_rules(demo_settings, settings):
    """GIVEN an empty database and the sample videos WHEN bootstrap runs (as `make run` does) THEN every demo
    stream is marked demo and meant to run; the highway one at the counting rate, tracking, with the line across
    the carriageway and a "line crossed" rule on it; the person one tracking, with a zone at the table and a
    "person appears" rule (class person) on it."""
    _bootstrap()
    streams = _demo_streams()
    assert set(streams) >= {HIGHWAY, PEOPLE} and Stream.objects.filter(demo=False).count() == 0
    assert all(s.desired_state == Stream.DesiredState.RUNNING for s in streams.values())
    highway, people = streams[HIGHWAY], streams[PEOPLE]
    assert (highway.max_fps, people.max_fps) == (settings.DEMO_COUNTING_FPS, settings.DEMO_MAX_FPS)
    assert highway.max_fps >= settings.ANALYTICS_MIN_TRACKING_FPS
    assert all(AnalyticsSettings.objects.get(stream=s).tracking for s in (highway, people))
    line = Line.objects.get(stream=highway)
    assert (line.points, line.in_side, line.anchor) == ([[0.16, 0.5], [0.84, 0.5]], "right", "BOTTOM_CENTER")
    line_rule = Rule.objects.get(stream=highway)
    assert (line_rule.kind, line_rule.line, line_rule.enabled) == (Rule.Kind.LINE_CROSSED, line, True)
    zone = Zone.objects.get(stream=people)
    person_rule = Rule.objects.get(stream=people)
    assert (person_rule.kind, person_rule.classes, person_rule.zone) == (Rule.Kind.OBJECT, ["person"], zone)
    assert zone.classes == ["person"]


def test_bootstrap_adds_no_demo_to_a_database_that_has_streams(demo_settings):
    """GIVEN a database with an operator's stream WHEN bootstrap runs THEN no demo stream, line, zone or rule is
    made; and a second bootstrap after the demo made none twice."""
    mine = stream_services.stream_create(name="Gate", source=str(demo_settings / OWN_CLIP), start=False)
    _bootstrap()
    assert list(Stream.objects.all()) == [mine]
    assert not Line.objects.exists() and not Zone.objects.exists() and not Rule.objects.exists()
    mine.delete()
    _bootstrap()
    made = Stream.objects.count()
    _bootstrap()
    assert Stream.objects.count() == made and Line.objects.count() == 1 and Rule.objects.count() == 2


def test_a_model_without_person_keeps_the_demo_stream_without_its_showcase(demo_settings, coco_catalog):
    """GIVEN a model whose classes have no "person" WHEN the demo is made THEN the person clip's stream is there,
    without a half-made showcase (no zone, no rule), and the highway's showcase is whole."""
    coco_catalog.class_names = ["car", "truck", "bus"]
    coco_catalog.save()
    demo.demo_ensure(videos=[demo_settings / demo.COUNTING_CLIP, demo_settings / demo.PEOPLE_CLIP])
    streams = _demo_streams()
    assert set(streams) == {HIGHWAY, PEOPLE}
    assert not Zone.objects.exists() and not Rule.objects.filter(stream=streams[PEOPLE]).exists()
    assert Line.objects.filter(stream=streams[HIGHWAY]).count() == 1


@pytest.fixture
def demo_made(demo_settings, make_stream_event) -> dict[str, Stream]:
    """The demo beside an operator's own stream, with a count and an event on the demo."""
    demo.demo_ensure(videos=[demo_settings / demo.COUNTING_CLIP, demo_settings / demo.PEOPLE_CLIP])
    streams = _demo_streams()
    line = Line.objects.get()
    CountBucket.objects.create(stream=streams[HIGHWAY], kind="line", object_id=line.pk, class_name="car",
                               metric="in", minute="2026-01-01T00:00:00Z", count=3)  # fmt: skip
    make_stream_event(streams[HIGHWAY])
    stream_services.stream_create(name="Gate", source=str(demo_settings / OWN_CLIP), start=False)
    return streams


@pytest.fixture
def make_stream_event():
    def make(stream: Stream) -> Event:
        from django.utils import timezone

        rule = Rule.objects.get(stream=stream)
        now = timezone.now()
        return Event.objects.create(stream=stream, rule=rule, rule_name=rule.name, kind=rule.kind, started_at=now,
                                    updated_at=now, class_name="car")  # fmt: skip

    return make


def test_the_wall_tags_demo_tiles_and_offers_removal_to_operators_only(client, user_with_role, demo_made):
    """GIVEN the demo and an operator's stream WHEN the wall is opened by a viewer, an operator and an admin THEN
    each demo tile carries a "Demo" tag and the operator's does not; the "Remove demo streams" button is there
    for the operator and the admin, not the viewer."""
    for role, sees_button in (("viewer", False), ("operator", True), ("admin", True)):
        client.force_login(user_with_role(role))
        page = client.get(reverse("stream-list")).content.decode()
        assert page.count('class="pill pill-demo"') == 2
        assert ('id="demo-remove"' in page) is sees_button, role
    tile = client.get(reverse("stream-tile", args=[Stream.objects.get(name="Gate").pk])).content.decode()
    assert "pill-demo" not in tile
    detail = client.get(reverse("stream-detail", args=[demo_made[HIGHWAY].pk])).content.decode()
    assert 'class="pill pill-demo"' in detail


def test_no_button_once_no_demo_is_left(admin_client, demo_settings):
    """GIVEN only an operator's own stream WHEN an admin opens the wall THEN there is no removal button."""
    stream_services.stream_create(name="Gate", source=str(demo_settings / OWN_CLIP), start=False)
    assert 'id="demo-remove"' not in admin_client.get(reverse("stream-list")).content.decode()


def test_remove_demo_streams_button_deletes_every_demo_with_its_lines_zones_rules_events_and_counts(
    client, user_with_role, demo_made
):
    """GIVEN the demo (with counts and an event) and an operator's stream WHEN a viewer posts the button THEN
    403 and nothing goes; WHEN an operator does THEN the demo streams go with their lines, zones, rules, events
    and counts, the operator's stream stays, the wall says what went, and the event log records who did it."""
    client.force_login(user_with_role("viewer"))
    assert client.post(reverse("demo-remove")).status_code == 403
    assert Stream.objects.filter(demo=True).count() == 2
    client.force_login(user_with_role("operator"))
    response = client.post(reverse("demo-remove"), follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == reverse("stream-list")
    assert f"Removed 2 demo streams: {HIGHWAY}, {PEOPLE}." in response.content.decode().replace("&#x27;", "'")
    assert list(Stream.objects.values_list("name", flat=True)) == ["Gate"]
    for model in (Line, Zone, Rule, Event, CountBucket, AnalyticsSettings):
        assert not model.objects.exists(), model
    entry = StreamEvent.objects.get(stream=None, kind=StreamEvent.Kind.COMMAND)
    assert entry.actor == "operator-user" and HIGHWAY in entry.message and PEOPLE in entry.message
