import pytest

from streams.models import Stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, django_user_model, settings, tmp_path):
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    user = django_user_model.objects.create_user("op", password="pw-123456")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "source": "0"}, "name"),
        ({"name": "a", "source": "garbage"}, "source"),
        ({"name": "a", "source": "smb://nas/share"}, "source"),
        ({"name": "a", "source": "/etc/passwd"}, "source"),
        ({"name": "a", "source": "0", "max_fps": -5}, "max_fps"),
        ({"name": "a"}, "source"),
    ],
)
def test_invalid_input_is_400_with_a_message_per_field_and_nothing_stored(api, payload, field):
    """GIVEN bad stream fields WHEN POSTed to the API THEN 400 names the field and no stream exists."""
    response = api.post("/api/streams/", {"start": False, **payload}, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json() and response.json()[field][0]
    assert Stream.objects.count() == 0


def test_api_never_shows_a_camera_password_and_keeps_it_on_patch(api):
    """GIVEN a stream with a password in its URL WHEN read and patched through the API THEN the password
    never appears, and sending the redacted source back keeps the stored one."""
    created = api.post(
        "/api/streams/", {"name": "cam", "source": "rtsp://op:s3cret@10.1.1.1/live", "start": False},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert "s3cret" not in created.content.decode()
    patched = api.patch(
        f"/api/streams/{body['id']}/", {"source": body["source"], "confidence": 0.5}, content_type="application/json"
    )
    assert patched.status_code == 200, patched.json()
    assert "s3cret" not in api.get("/api/streams/").content.decode()
    stream = Stream.objects.get()
    assert stream.source == "rtsp://op:s3cret@10.1.1.1/live" and stream.confidence == 0.5


def test_duplicate_name_is_refused(api):
    """GIVEN a stream named cam WHEN another is created with that name THEN 400 on name."""
    api.post("/api/streams/", {"name": "cam", "source": "0", "start": False}, content_type="application/json")
    duplicate = {"name": "cam", "source": "1", "start": False}
    response = api.post("/api/streams/", duplicate, content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()
    assert Stream.objects.count() == 1
