"""Issue 13, findings 2 and 8: inputs that used to answer 500 or were stored wrong, and the smaller holes (the
anonymous schema, HTML 404s under /api/)."""

import json

import pytest
from django.contrib.auth.models import Group

from streams import reconciler, services
from streams.models import Stream

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def api(client, django_user_model, monkeypatch):
    """A logged-in admin-role user (a plain superuser would skip the role checks this file does not test)."""
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)
    user = django_user_model.objects.create_user("ops", password="pw-123456", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    client.force_login(user)
    return client


def _stored() -> list:
    return list(Stream.objects.order_by("pk").values())


@pytest.mark.parametrize("digit", ["²", "①", "٣"])
def test_unicode_digit_sources_are_refused_on_every_way_in(api, digit):
    """GIVEN a source that is a Unicode digit ("²".isdigit() is true, int() refuses it) WHEN sent by POST,
    PATCH, bulk, the add form and Test source THEN each answers 4xx (or a refused probe) with a message, and
    nothing is stored or changed."""
    stream = services.stream_create(name="cam", source="0", start=False)
    before = _stored()
    created = api.post("/api/streams/", {"name": "x", "source": digit}, content_type=JSON)
    assert created.status_code == 400 and "source" in created.json()
    patched = api.patch(f"/api/streams/{stream.pk}/", {"source": digit}, content_type=JSON)
    assert patched.status_code == 400 and "source" in patched.json()
    bulk = api.post("/api/streams/bulk/", [{"name": "y", "source": digit}], content_type=JSON)
    assert bulk.status_code == 400
    form = api.post("/streams/new/", {"name": "z", "source": digit, "confidence": "0.3", "start": "on"})
    assert form.status_code == 200 and form.context["form"].errors["source"]
    probe = api.post("/streams/probe/", {"source": digit, "stream": digit})
    assert probe.status_code == 200 and probe.json()["ok"] is False and probe.json()["message"]
    assert _stored() == before


@pytest.mark.parametrize("method", ["post", "patch"])
def test_json_nested_a_hundred_thousand_deep_is_a_400(api, method):
    """GIVEN a JSON body nested 100,000 levels deep (json.loads raises RecursionError) WHEN sent to the API
    THEN 400 with a parse error, and nothing changes."""
    stream = services.stream_create(name="cam", source="0", start=False)
    before = _stored()
    body = "[" * 100_000 + "]" * 100_000
    url = "/api/streams/" if method == "post" else f"/api/streams/{stream.pk}/"
    response = getattr(api, method)(url, body, content_type=JSON)
    assert response.status_code == 400 and "nested" in response.json()["detail"]
    assert _stored() == before


@pytest.mark.parametrize("field", ["max_fps", "confidence"])
def test_a_boolean_is_not_a_number(api, field):
    """GIVEN `max_fps: true` (float(True) is 1.0) WHEN a stream is created or patched with it THEN 400 on that
    field and nothing stored or changed."""
    stream = services.stream_create(name="cam", source="0", start=False)
    before = _stored()
    created = api.post("/api/streams/", {"name": "x", "source": "1", field: True}, content_type=JSON)
    assert created.status_code == 400 and field in created.json()
    patched = api.patch(f"/api/streams/{stream.pk}/", {field: True}, content_type=JSON)
    assert patched.status_code == 400 and field in patched.json()
    assert _stored() == before


def test_the_schema_needs_a_login(api):
    """GIVEN the OpenAPI schema WHEN requested anonymously THEN refused; WHEN logged in THEN served."""
    from django.test import Client

    assert Client().get("/api/schema/").status_code in (401, 403)
    assert api.get("/api/schema/").status_code == 200


@pytest.mark.parametrize(("method", "path"), [("get", "/api/nope/"), ("post", "/api/streams/1/explode/"),
                                              ("get", "/api/streams"), ("delete", "/api/workers/1/x/")])
def test_an_unknown_api_route_answers_a_json_404(client, method, path):
    """GIVEN a path under /api/ that no endpoint serves WHEN requested (by anyone, with any method) THEN 404
    with a JSON body naming the path, never Django's HTML page."""
    response = getattr(client, method)(path)
    assert response.status_code == 404, (method, path)
    assert response["Content-Type"].startswith(JSON)
    assert path in json.loads(response.content)["detail"]
