"""The wall, stream page, system page, live settings, commands and "test source", rendered by Django's test
client against the real database and the embedded Valkey (no worker runs: streams stay stopped)."""

from pathlib import Path

import pytest
from django.urls import reverse

from streams import services
from streams.models import Stream

SECRET_SOURCE = "rtsp://user:s3cret@127.0.0.1:9/live"

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_dir(settings, assets_dir: Path) -> Path:
    settings.STREAM_MEDIA_DIRS = [assets_dir]
    return assets_dir


@pytest.fixture
def stream(media_dir: Path) -> Stream:
    return services.stream_create(name="Highway", source=str(media_dir / "traffic_highway.mp4"), start=False)


@pytest.fixture
def secret_stream(media_dir: Path) -> Stream:
    return services.stream_create(name="Gate", source=SECRET_SOURCE, start=False)


def test_wall_shows_a_tile_per_stream_with_its_tile_socket(admin_client, stream, secret_stream):
    """GIVEN two streams WHEN the wall is opened THEN each has a tile that asks for the reduced size, with a
    status badge and a placeholder, and no password appears."""
    page = admin_client.get(reverse("stream-list")).content.decode()
    assert page.count('class="card tile"') == 2
    assert f'data-ws-path="/ws/streams/{stream.pk}/?size=tile"' in page
    assert 'class="placeholder tile-placeholder"' in page
    assert "s3cret" not in page and secret_stream.source_display in page


def test_tile_fragment_is_one_tile_returning_to_the_wall(admin_client, stream):
    """GIVEN a stream WHEN its tile fragment is fetched (for a tile that appears live) THEN it is one tile
    whose commands come back to the wall, not to the fragment."""
    page = admin_client.get(reverse("stream-tile", args=[stream.pk])).content.decode()
    assert page.count('class="card tile"') == 1
    assert 'name="next" value="/"' in page and "<html" not in page


def test_stream_page_has_charts_event_log_and_live_settings(admin_client, stream):
    """GIVEN a stream WHEN its page is opened THEN it loads uPlot from the npm install, shows three charts,
    the event log (with the creation event) and the live settings form."""
    response = admin_client.get(reverse("stream-detail", args=[stream.pk]))
    page = response.content.decode()
    assert "vendor/uplot/uPlot.iife.min.js" in page
    for chart in ("chart-fps", "chart-latency", "chart-detections"):
        assert f'id="{chart}"' in page
    assert "created" in page
    assert 'id="live-settings"' in page and 'name="classes"' in page


def test_uplot_is_served_from_node_modules(client):
    """GIVEN `npm ci` has run WHEN the vendored path is requested THEN staticfiles serves uPlot."""
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/uplot/uPlot.iife.min.js")
    assert finders.find("vendor/uplot/uPlot.min.css")


def test_live_settings_apply_and_are_logged(admin_client, stream):
    """GIVEN a stream WHEN confidence, classes and max fps are posted from the stream page
    THEN they are stored, the answer is JSON ok, and the event log records who changed what."""
    response = admin_client.post(
        reverse("stream-settings", args=[stream.pk]),
        {"confidence": "0.6", "classes": "car, truck, car", "max_fps": "4"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    stream.refresh_from_db()
    assert (stream.confidence, stream.classes, stream.max_fps) == (0.6, ["car", "truck"], 4.0)
    events = admin_client.get(reverse("stream-events", args=[stream.pk])).content.decode()
    assert "admin" in events


def test_live_settings_refuse_bad_values_per_field(admin_client, stream):
    """GIVEN a stream WHEN a confidence above 1 is posted THEN 400 names the field and nothing changes."""
    response = admin_client.post(
        reverse("stream-settings", args=[stream.pk]), {"confidence": "2", "classes": "", "max_fps": ""},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "confidence" in response.json()["errors"]
    stream.refresh_from_db()
    assert stream.confidence == 0.25


@pytest.mark.parametrize(("command", "desired"), [("pause", "paused"), ("resume", "running"), ("stop", "stopped")])
def test_commands_set_the_desired_state(admin_client, stream, command, desired):
    """GIVEN a stream WHEN a command is posted from the wall (JSON) THEN the desired state follows."""
    response = admin_client.post(reverse(f"stream-{command}", args=[stream.pk]), HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["desired_state"] == desired
    stream.refresh_from_db()
    assert stream.desired_state == desired


def test_system_page_reports_each_part(admin_client, settings):
    """GIVEN no Triton configured WHEN the system page is opened THEN Triton is reported not ready with the
    reason, and the database and the broker are up."""
    settings.TRITON_URL = ""
    page = admin_client.get(reverse("system")).content.decode()
    assert 'data-part="triton" data-ok="false"' in page and "TRITON_URL is not set" in page
    assert 'data-part="database" data-ok="true"' in page
    assert 'data-part="broker" data-ok="true"' in page
    fragment = admin_client.get(reverse("system") + "?fragment=1").content.decode()
    assert "<html" not in fragment and 'data-part="workers"' in fragment


def test_probe_returns_a_snapshot_of_a_file(admin_client, media_dir):
    """GIVEN the highway video WHEN "test source" is asked THEN the answer is ok with a JPEG snapshot."""
    answer = admin_client.post(reverse("source-probe"), {"source": str(media_dir / "traffic_highway.mp4")}).json()
    assert answer["ok"] and (answer["width"], answer["height"]) == (1280, 720)
    assert answer["snapshot"].startswith("data:image/jpeg;base64,")


@pytest.mark.parametrize(
    ("source", "expected"),
    [("ftp://x/y", "Unsupported scheme"), (SECRET_SOURCE, "refused"), ("/etc/passwd", "media directory")],
)
def test_probe_gives_the_exact_error_without_the_password(admin_client, media_dir, source, expected):
    """GIVEN a bad or unreachable source WHEN "test source" is asked THEN the error says why, and a camera
    password never appears in it."""
    answer = admin_client.post(reverse("source-probe"), {"source": source}).json()
    assert not answer["ok"] and expected in answer["message"]
    assert "s3cret" not in answer["message"]


def test_probe_of_the_redacted_source_uses_the_stored_one(admin_client, secret_stream):
    """GIVEN an edit form showing a redacted camera URL WHEN "test source" is pressed unchanged
    THEN the stored URL is tried (the port is closed: refused), and the password is still not shown."""
    answer = admin_client.post(
        reverse("source-probe"), {"source": secret_stream.source_display, "stream": str(secret_stream.pk)}
    ).json()
    assert not answer["ok"] and "refused" in answer["message"]
    assert "user:***@127.0.0.1" in answer["message"] and "s3cret" not in answer["message"]
