"""The operator's pages: access, form validation, and that camera passwords never reach a page."""

from pathlib import Path

import pytest
from django.urls import reverse

from streams import services
from streams.models import Stream

SECRET_SOURCE = "rtsp://user:s3cret@cam.local/live"


@pytest.fixture
def media_dir(settings, tmp_path: Path) -> Path:
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"\x00")
    return tmp_path


@pytest.fixture
def secret_stream(media_dir: Path) -> Stream:
    return services.stream_create(name="Gate camera", source=SECRET_SOURCE, start=False)


def _form(media_dir: Path, **overrides: str) -> dict[str, str]:
    data = {"name": "Lobby", "source": str(media_dir / "clip.mp4"), "max_fps": "5", "confidence": "0.3"}
    return {**data, **overrides}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/streams/1/", "/streams/new/", "/streams/1/edit/"])
def test_anonymous_pages_redirect_to_login(client, path):
    """GIVEN no login WHEN a page is requested THEN it redirects to the login page."""
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_anonymous_api_is_refused(client):
    """GIVEN no login WHEN the stream API is requested THEN it answers 401 or 403."""
    assert client.get("/api/streams/").status_code in (401, 403)


@pytest.mark.django_db
def test_login_page_renders(client):
    """GIVEN no login WHEN the login page is requested THEN it shows the login form."""
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


@pytest.mark.django_db
def test_create_without_starting_redirects_to_detail(admin_client, media_dir):
    """GIVEN a valid file source WHEN the form is submitted with "start now" unchecked
    THEN the stream is stored stopped and the browser lands on its page."""
    response = admin_client.post(reverse("stream-create"), _form(media_dir))
    stream = Stream.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("stream-detail", args=[stream.pk])
    assert (stream.name, stream.max_fps, stream.confidence) == ("Lobby", 5.0, 0.3)
    assert stream.desired_state == Stream.DesiredState.STOPPED


@pytest.mark.django_db
def test_create_form_has_start_checked_by_default(admin_client, media_dir):
    """GIVEN a logged-in operator WHEN the add form is opened THEN "start now" is checked."""
    response = admin_client.get(reverse("stream-create"))
    assert response.status_code == 200
    assert response.context["form"]["start"].value() is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "   ", "This field is required."),
        ("source", "not a source", "must be an absolute path"),
        ("source", "ftp://x/y", "Unsupported scheme"),
        ("source", "/etc/passwd", "inside an allowed media directory"),
        ("source", "MISSING", "No such file"),
        ("max_fps", "-1", "greater than or equal to 0.1"),
        ("max_fps", "fast", "Enter a number."),
        ("confidence", "2", "less than or equal to 1.0"),
    ],
)
def test_create_refuses_bad_input(admin_client, media_dir, field, value, message):
    """GIVEN a bad value in one field WHEN the add form is submitted
    THEN the page shows a message on that field and no stream is stored."""
    if value == "MISSING":
        value = str(media_dir / "missing.mp4")
    response = admin_client.post(reverse("stream-create"), _form(media_dir, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert Stream.objects.count() == 0


@pytest.mark.django_db
def test_create_refuses_a_duplicate_name(admin_client, media_dir, secret_stream):
    """GIVEN a stream named "Gate camera" WHEN another is added with that name
    THEN the page says so and nothing new is stored."""
    response = admin_client.post(reverse("stream-create"), _form(media_dir, name="Gate camera"))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Stream.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["stream-list", "stream-detail", "stream-edit"])
def test_pages_never_show_the_camera_password(admin_client, secret_stream, url_name):
    """GIVEN a stream whose URL carries a password WHEN its pages are shown
    THEN the password appears nowhere, but the redacted source does."""
    args = [] if url_name == "stream-list" else [secret_stream.pk]
    page = admin_client.get(reverse(url_name, args=args)).content.decode()
    assert "s3cret" not in page
    assert secret_stream.source_display in page


@pytest.mark.django_db
def test_edit_without_touching_the_source_keeps_the_password(admin_client, secret_stream):
    """GIVEN a stream with a password in its URL WHEN it is renamed, the redacted source sent back as shown
    THEN the stored source (password included) is unchanged."""
    form = admin_client.get(reverse("stream-edit", args=[secret_stream.pk])).context["form"]
    shown_source = form["source"].value()
    response = admin_client.post(
        reverse("stream-edit", args=[secret_stream.pk]),
        {"name": "Gate camera 2", "source": shown_source, "max_fps": "", "confidence": "0.5"},
    )
    secret_stream.refresh_from_db()
    assert response.status_code == 302
    assert shown_source == "rtsp://user:***@cam.local/live"
    assert (secret_stream.name, secret_stream.source, secret_stream.confidence) == ("Gate camera 2", SECRET_SOURCE, 0.5)


@pytest.mark.django_db
def test_edit_can_replace_the_source(admin_client, secret_stream):
    """GIVEN a stream WHEN a new full URL is submitted THEN it replaces the stored source."""
    new_source = "rtsp://user:n3w@cam2.local/live"
    admin_client.post(
        reverse("stream-edit", args=[secret_stream.pk]),
        {"name": secret_stream.name, "source": new_source, "max_fps": "", "confidence": "0.25"},
    )
    secret_stream.refresh_from_db()
    assert secret_stream.source == new_source


@pytest.mark.django_db
def test_edit_refuses_bad_input_and_changes_nothing(admin_client, secret_stream):
    """GIVEN a stream WHEN the edit form is submitted with a bad source and a new name
    THEN the page shows the error and the stored stream is unchanged."""
    response = admin_client.post(
        reverse("stream-edit", args=[secret_stream.pk]),
        {"name": "Renamed", "source": "ftp://x/y", "max_fps": "", "confidence": "0.25"},
    )
    secret_stream.refresh_from_db()
    assert response.status_code == 200
    assert "Unsupported scheme" in response.content.decode()
    assert (secret_stream.name, secret_stream.source) == ("Gate camera", SECRET_SOURCE)


@pytest.mark.django_db
def test_missing_stream_is_404(admin_client):
    """GIVEN no stream 999 WHEN its page is requested THEN the answer is 404."""
    assert admin_client.get(reverse("stream-detail", args=[999])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["stream-start", "stream-stop", "stream-delete"])
def test_controls_refuse_get(admin_client, secret_stream, url_name):
    """GIVEN a stream WHEN a control URL is fetched with GET THEN it is refused and nothing changes."""
    assert admin_client.get(reverse(url_name, args=[secret_stream.pk])).status_code == 405
    assert Stream.objects.filter(pk=secret_stream.pk, desired_state=Stream.DesiredState.STOPPED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/?page=1", "/?page=1"), ("https://evil.example/", "/"), ("//evil.example/", "/")],
)
def test_delete_returns_only_to_local_pages(admin_client, secret_stream, next_url, expected):
    """GIVEN a stream WHEN it is deleted with a `next` URL THEN the browser goes there only if it is local."""
    response = admin_client.post(reverse("stream-delete", args=[secret_stream.pk]), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == expected
    assert not Stream.objects.exists()


@pytest.mark.django_db
def test_refused_edit_page_still_hides_the_password(admin_client, secret_stream):
    """GIVEN a stream with a password in its URL WHEN an edit with a bad max FPS and the source as shown is refused
    THEN the page with the errors still shows only the redacted source."""
    response = admin_client.post(
        reverse("stream-edit", args=[secret_stream.pk]),
        {"name": secret_stream.name, "source": secret_stream.source_display, "max_fps": "-5", "confidence": "0.25"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "greater than or equal to 0.1" in page
    assert "s3cret" not in page
