"""Issue 13, finding 3: the role matrix. Every endpoint found in the URL conf (pages and API, those added later
included) and every WebSocket route declares the role it needs, and answers each role as declared: every
endpoint × no role, viewer, operator, admin (and anonymous)."""

import re
import uuid

import pytest
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

from accounts.access import PUBLIC, endpoint_role
from accounts.roles import Role
from streams import reconciler, services

pytestmark = pytest.mark.django_db

ROLES = (None, Role.VIEWER, Role.OPERATOR, Role.ADMIN)
SKIPPED_NAMESPACES = ("admin",)  # the admin site: its permissions come from the roles, tested in test_admin_roles


def _patterns(resolvers=None, prefix: tuple[str, ...] = ()) -> list[tuple[str, URLPattern]]:
    """(namespaced name, pattern) of every named URL pattern outside the admin, format-suffix copies aside."""
    found = []
    for entry in (resolvers or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace not in SKIPPED_NAMESPACES:
                found += _patterns(entry, prefix + ((entry.namespace,) if entry.namespace else ()))
        elif entry.name and "format" not in entry.pattern.regex.groupindex:
            found.append((":".join(prefix + (entry.name,)), entry))
    return found


def _methods(pattern: URLPattern) -> list[tuple[str, object]]:
    """(HTTP method, declared role or None) for each way in: viewset actions, APIView handlers, or a page's
    GET and POST."""
    callback = pattern.callback
    if hasattr(callback, "cls"):  # DRF: the viewset's actions, or the view's handlers, that it serves
        actions = getattr(callback, "actions", None)
        served = [m for m in callback.cls.http_method_names if (m in actions if actions else hasattr(callback.cls, m))]
        methods = [m for m in served if m not in ("head", "options")]
    else:
        methods = ["get", "post"]
    return [(m.upper(), endpoint_role(callback, m)) for m in methods]


def _endpoints() -> list[tuple[str, URLPattern, str, object]]:
    return [(name, pattern, method, role) for name, pattern in _patterns() for method, role in _methods(pattern)]


def test_every_endpoint_declares_its_role():
    """GIVEN the URL conf WHEN every endpoint (page, API action, API view method) is listed THEN each declares
    the role it needs: an endpoint added without one fails here."""
    endpoints = _endpoints()
    assert len(endpoints) > 30
    undeclared = [(name, method) for name, _, method, role in endpoints if role is None]
    assert undeclared == [], "declare a role (accounts/access.py) for these endpoints"


@pytest.fixture
def callers(client, django_user_model, monkeypatch):
    """A logged-in client per role (None: a user in no role group)."""
    from django.test import Client

    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)
    clients = {}
    for role in ROLES:
        user = django_user_model.objects.create_user(f"u-{role or 'none'}", password="pw-123456")
        if role is not None:
            user.groups.add(Group.objects.get(name=role.value))
        clients[role] = Client()
        clients[role].user = user
        clients[role].force_login(user)
    clients["anonymous"] = Client()
    return clients


def _url(name: str, pattern: URLPattern, stream_id: int) -> str:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {key: stream_id if re.search(r"pk|id$", key) else "1" for key in pattern.pattern.regex.groupindex}
    kwargs |= {key: uuid.UUID(int=1) for key, conv in converters.items() if isinstance(conv, UUIDConverter)}
    kwargs.pop("command", None)  # given by the pattern itself (stream-start, ...)
    if name == "api-not-found":
        return "/api/no-such-endpoint/"
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:  # a UUID key (events) under a plain regex: the same with a UUID
        return reverse(name, kwargs={key: uuid.UUID(int=1) if value == stream_id else value
                                     for key, value in kwargs.items()})  # fmt: skip


def _call(client, method: str, url: str):
    return client.generic(method, url, data=b"{}", content_type="application/json", HTTP_ACCEPT="application/json")


def test_each_endpoint_answers_each_role_as_declared(callers, clip):
    """GIVEN every endpoint with its declared role WHEN called as anonymous, as a user with no role, a viewer,
    an operator and an admin THEN a role below the declared one gets 403 with a message naming the role (an
    anonymous caller a 401/403 or the login page), and a role at or above it is let through."""
    checked = 0
    for name, pattern, method, needed in _endpoints():
        for role in (*ROLES, "anonymous"):
            stream = services.stream_create(name=f"s{checked}", source=clip, start=False)
            if role != "anonymous":
                callers[role].force_login(callers[role].user)  # the logout endpoint logged it out
            response = _call(callers[role], method, _url(name, pattern, stream.pk))
            checked += 1
            where = f"{method} {name} as {role}: {response.status_code}"
            if needed == PUBLIC:
                assert response.status_code != 403, where
            elif role == "anonymous":
                redirected = response.status_code == 302 and "/accounts/login/" in response["Location"]
                assert response.status_code in (401, 403) or redirected, where
            elif role is not None and role.covers(needed):
                assert response.status_code not in (401, 403), where
                assert not (response.status_code == 302 and "/accounts/login/" in response["Location"]), where
            else:
                assert response.status_code == 403, where
                assert f"needs the {needed} role" in response.content.decode(), where
    assert checked > 150


def test_the_stream_endpoints_need_the_roles_the_issue_names():
    """GIVEN the stream API and pages WHEN their declared roles are read THEN viewers read, operators command
    and tune, admins create and delete (the issue's definition of the three roles)."""
    declared = {(name, method): role for name, _, method, role in _endpoints()}
    for name in ("api:stream-list", "api:stream-detail", "api:stream-events", "api:stream-metrics", "api:worker-list",
                 "stream-list", "stream-detail", "system", "api:schema"):
        assert declared[(name, "GET")] == Role.VIEWER, name
    for verb in ("start", "stop", "pause", "resume", "restart"):
        assert declared[(f"api:stream-{verb}", "POST")] == Role.OPERATOR
        assert declared[(f"stream-{verb}", "POST")] == Role.OPERATOR
    assert declared[("api:stream-detail", "PATCH")] == declared[("stream-settings", "POST")] == Role.OPERATOR
    for key in (("api:stream-list", "POST"), ("api:stream-bulk", "POST"), ("api:stream-detail", "DELETE"),
                ("stream-create", "POST"), ("stream-edit", "POST"), ("stream-delete", "POST")):
        assert declared[key] == Role.ADMIN, key
    assert declared[("api:token", "POST")] == declared[("login", "POST")] == PUBLIC


def test_an_operator_patches_live_settings_but_not_the_rest(callers, clip):
    """GIVEN a stream WHEN an operator PATCHes confidence, classes and max fps THEN applied; WHEN it PATCHes the
    name or source THEN 403 naming the field and the admin role, and nothing changes."""
    stream = services.stream_create(name="cam", source=clip, start=False)
    url = f"/api/streams/{stream.pk}/"
    operator = callers[Role.OPERATOR]
    live = {"confidence": 0.5, "classes": ["car"], "max_fps": 4}
    assert operator.patch(url, live, content_type="application/json").status_code == 200
    refused = operator.patch(url, {"name": "other", "confidence": 0.6}, content_type="application/json")
    assert refused.status_code == 403 and "name" in refused.json()["detail"] and "admin" in refused.json()["detail"]
    stream.refresh_from_db()
    assert (stream.name, stream.confidence, stream.classes, stream.max_fps) == ("cam", 0.5, ["car"], 4.0)
    assert callers[Role.ADMIN].patch(url, {"name": "other"}, content_type="application/json").status_code == 200
