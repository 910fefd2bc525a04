import pytest

from streams.models import Stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, user_with_role, settings, tmp_path):
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    client.force_login(user_with_role("admin", "op"))
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


def test_schema_lists_every_lifecycle_command(api):
    """GIVEN the API WHEN its OpenAPI schema is fetched THEN every stream command, bulk, events and workers
    are described."""
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for command in ("start", "stop", "pause", "resume", "restart", "events"):
        assert f"/api/streams/{{id}}/{command}/" in paths
    assert "/api/streams/bulk/" in paths and "/api/workers/" in paths


def test_a_script_trades_a_password_for_a_token_and_uses_it(client, user_with_role):
    """GIVEN a viewer WHEN a script posts its credentials to /api/token/ THEN the token authenticates API calls,
    and a wrong password gets no token."""
    user_with_role("viewer", "script")
    assert client.post("/api/token/", {"username": "script", "password": "wrong"}).status_code == 400
    token = client.post("/api/token/", {"username": "script", "password": "pw-123456"}).json()["token"]
    assert client.get("/api/streams/").status_code in (401, 403)
    assert client.get("/api/streams/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_commands_are_logged_with_who_gave_them(api, monkeypatch):
    """GIVEN a stopped stream WHEN paused, resumed and stopped through the API THEN each answers 202 with the
    desired state and the event log lists the commands, newest first, with the user's name, and the state
    changes they caused."""
    from streams import reconciler

    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)
    stream_id = api.post("/api/streams/", {"name": "cam", "source": "0", "start": False},
                         content_type="application/json").json()["id"]
    for command, desired in (("pause", "paused"), ("resume", "running"), ("stop", "stopped")):
        response = api.post(f"/api/streams/{stream_id}/{command}/")
        assert response.status_code == 202 and response.json()["desired_state"] == desired
    events = api.get(f"/api/streams/{stream_id}/events/?limit=20").json()
    commands = [(e["message"], e["actor"]) for e in events if e["kind"] == "command"]
    assert commands[:3] == [("stop", "op"), ("resume", "op"), ("pause", "op")]
    assert any(e["kind"] == "state" for e in events)


def test_bulk_create_reports_each_bad_item_and_stores_nothing(api):
    """GIVEN a bulk request whose second item is invalid WHEN posted THEN 400 keyed by index, nothing stored."""
    response = api.post(
        "/api/streams/bulk/", [{"name": "a", "source": "0", "start": False}, {"name": "b", "source": "nope"}],
        content_type="application/json",
    )
    assert response.status_code == 400 and "1" in response.json()
    assert Stream.objects.count() == 0
    assert api.post("/api/streams/bulk/", {"name": "x"}, content_type="application/json").status_code == 400


def test_metrics_history_is_served_per_stream_and_unknown_streams_are_404(api, tmp_path):
    """GIVEN a stream whose worker stored two metrics samples WHEN its metrics are read through the API THEN
    both come back oldest first; an unknown stream is 404."""
    import time

    from streams import metrics_history, services

    (tmp_path / "clip.mp4").write_bytes(b"x")
    stream = services.stream_create(name="cam", source=str(tmp_path / "clip.mp4"), start=False)
    now = time.time()
    for at in (now - 2, now - 1):
        sample = {"at": at, "fps": 4.0, "inference_ms": 21.5, "detections": {"car": 3}, "inference_errors": 0}
        metrics_history.history_append(stream_id=stream.pk, sample=sample)
    try:
        response = api.get(f"/api/streams/{stream.pk}/metrics/")
        assert response.status_code == 200
        assert [s["at"] for s in response.json()] == [now - 2, now - 1]
        assert response.json()[0]["detections"] == {"car": 3}
        assert api.get("/api/streams/999999/metrics/").status_code == 404
    finally:
        metrics_history.history_clear(stream_id=stream.pk)
