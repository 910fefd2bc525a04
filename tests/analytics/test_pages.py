"""The stream page's analytics panel as the server renders it: the editor's controls and API addresses, and the
warning for a stream capped below the rate tracking needs."""

import re

import pytest

from analytics import services
from streams import services as stream_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, user_with_role, settings, tmp_path):
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"x")
    client.force_login(user_with_role("operator", "op"))
    return client, str(tmp_path / "clip.mp4")


def test_the_panel_links_the_editor_to_the_stream_api_and_says_nothing_about_speed_by_default(operator):
    """GIVEN a stream without a frame-rate cap WHEN its page is opened THEN the panel carries its zones, lines,
    counts and reset addresses, the draw buttons and the counts chart, and the too-slow warning is hidden."""
    client, clip = operator
    stream = stream_services.stream_create(name="cam", source=clip, start=False)
    page = client.get(f"/streams/{stream.pk}/").content.decode()
    for url in ("zones/", "lines/", "counts/", "counts.csv", "counts/reset/", "analytics/"):
        assert f"/api/streams/{stream.pk}/{url}" in page
    assert 'id="draw-zone"' in page and 'id="draw-line"' in page and 'id="chart-counts"' in page
    assert "hidden" in re.search(r'<p id="tracking-warning"[^>]*>', page).group(0)
    assert "hidden" in re.search(r'<p id="tracking-off"[^>]*>', page).group(0)


def test_a_stream_capped_below_the_tracking_rate_is_warned_about_and_tracking_off_says_so(operator):
    """GIVEN a stream capped at 5 fps (tracking needs 10) WHEN its page is opened THEN it says counts are
    unreliable; WHEN tracking is switched off THEN the page says zones and lines count nothing."""
    client, clip = operator
    stream = stream_services.stream_create(name="slow", source=clip, max_fps=5, start=False)
    page = client.get(f"/streams/{stream.pk}/").content.decode()
    assert "capped at 5.0 fps; tracking needs at least 10 fps, so counts are unreliable" in page
    services.settings_update(stream=stream, tracking=False)
    page = client.get(f"/streams/{stream.pk}/").content.decode()
    assert "hidden" not in re.search(r'<p id="tracking-off"[^>]*>', page).group(0)
