"""Property-based fuzzing of every write endpoint the OpenAPI schema lists (endpoints added later included):
generated requests (schema-shaped bodies with wrong values, arbitrary JSON, bytes, odd path ids) never answer a
server error, and a refused request changes nothing stored."""

import json
import math

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams import reconciler, services
from streams.models import Stream

pytestmark = pytest.mark.django_db

TOTAL_REQUESTS = 600
WRITE_METHODS = ("post", "put", "patch", "delete")
# Rows that record requests rather than data (sessions, login attempts, the admin's log) may change freely.
VOLATILE = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog",
            "axes.accessattemptexpiration", "admin.logentry"}
TRICKY_TEXT = ["", " ", "²", "①", "٣", "0", "-1", "1e309", "NaN", "true", "null", "\x00", "a" * 600,
               "rtsp://u:p@h:99999/x", "/etc/passwd", "../../x", "<script>alert(1)</script>", "[]", "{}"]
text = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=40))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)


def _snapshot() -> dict[str, list]:
    return {label: list(model.objects.order_by("pk").values_list())
            for model in apps.get_models() if (label := model._meta.label_lower) not in VOLATILE}


def _operations(schema: dict) -> list[tuple[str, str, dict | None]]:
    found = []
    for path, item in schema["paths"].items():
        for method in WRITE_METHODS:
            if method in item:
                content = item[method].get("requestBody", {}).get("content", {})
                found.append((path, method, content.get("application/json", {}).get("schema")))
    return found


def _bodies(body_schema: dict | None, components: dict) -> st.SearchStrategy:
    """Bodies the schema describes (valid values), the same shape with values of any type, arbitrary JSON,
    bytes, and JSON nested too deep to parse."""
    resolved = _resolve(body_schema or {}, components)
    item = resolved.get("items", resolved)
    keys = sorted(name for name, prop in item.get("properties", {}).items() if not prop.get("readOnly"))
    shaped = st.fixed_dictionaries({}, optional={key: json_values for key in keys}) if keys else json_values
    valid = st.fixed_dictionaries({}, optional={key: _valid(item["properties"][key], components) for key in keys})
    deep = st.just("[" * 50_000 + "]" * 50_000)
    choices = [valid, shaped, shaped.map(lambda d: [d]), valid.map(lambda d: [d]), json_values, st.binary(max_size=64),
               deep]
    return st.one_of(*choices)


def _valid(prop: dict, components: dict) -> st.SearchStrategy:
    """A value of the type an OpenAPI property declares (within its bounds and choices), or null if nullable."""
    prop = _resolve(prop, components) if "$ref" in prop else prop
    if "enum" in prop:
        value = st.sampled_from(prop["enum"])
    elif prop.get("type") in ("number", "integer"):
        make = st.integers if prop["type"] == "integer" else st.floats
        bounds = {"min_value": prop.get("minimum"), "max_value": prop.get("maximum")}
        value = make(**bounds) if make is st.integers else make(**bounds, allow_nan=False, allow_infinity=False)
    elif prop.get("type") == "boolean":
        value = st.booleans()
    elif prop.get("type") == "array":
        value = st.lists(_valid(prop.get("items", {}), components), max_size=4)
    elif prop.get("type") == "string":
        value = st.one_of(text, st.text(max_size=prop.get("maxLength", 40)))
    else:
        value = json_values
    return st.one_of(st.none(), value) if prop.get("nullable") else value


def _resolve(node: dict, components: dict) -> dict:
    if "$ref" in node:
        return _resolve(components["schemas"][node["$ref"].rsplit("/", 1)[1]], components)
    if node.get("type") == "array" and "$ref" in node.get("items", {}):
        return {**node, "items": _resolve(node["items"], components)}
    return node


def _encode(body: object) -> tuple[bytes, str]:
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str) and body.startswith("[["):
        return body.encode(), "application/json"
    return json.dumps(body).encode(), "application/json"


@pytest.fixture
def admin_api(client, django_user_model, monkeypatch, settings_overrides):
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)
    user = django_user_model.objects.create_user("fuzzer", password="pw-123456")
    user.groups.add(Group.objects.get(name="admin"))
    client.force_login(user)
    return client


@pytest.fixture
def settings_overrides(settings):
    settings.AXES_FAILURE_LIMIT = 10**6  # the fuzzer's wrong passwords must not lock anybody out


def _target_id() -> int:
    stream = Stream.objects.filter(name="fuzz-target").first()
    return (stream or services.stream_create(name="fuzz-target", source="0", start=False)).pk


def _fuzzer(client, path: str, method: str, bodies: st.SearchStrategy, examples: int, sent: dict, statuses: dict):
    """A Hypothesis test of one operation: `examples` generated requests, each checked."""
    ids = st.one_of(st.just("target"), st.just("target"), st.sampled_from(["999999", "0", "-1", "²", "1.5", "x"]))

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(body=bodies, stream_id=ids)
    def fuzz(body: object, stream_id: str) -> None:
        target = str(_target_id()) if stream_id == "target" else stream_id
        url = "".join(target if part.startswith("{") else part for part in _split(path))
        payload, content_type = _encode(body)
        before = _snapshot()
        response = client.generic(method.upper(), url, payload, content_type=content_type)
        sent[f"{method} {path}"] = sent.get(f"{method} {path}", 0) + 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        where = f"{method.upper()} {url} {payload[:200]!r} -> {response.status_code}"
        assert response.status_code < 500, where
        if response.status_code >= 400:
            assert response.content.strip(), where
            assert _snapshot() == before, where

    return fuzz


def test_no_generated_request_gets_a_server_error_or_changes_data_when_refused(admin_api):
    """GIVEN every write operation of /api/schema/ WHEN 600 requests are generated for them (bodies shaped by the
    schema with values of every type, arbitrary JSON, raw bytes, deep nesting; path ids real, missing and odd)
    THEN no answer is a 5xx, every refusal carries a message, and a refused request changes no stored row."""
    schema = json.loads(admin_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    operations = _operations(schema)
    assert len(operations) >= 9, operations
    per_operation = math.ceil(TOTAL_REQUESTS / len(operations))
    sent: dict[str, int] = {}
    statuses: dict[int, int] = {}
    for path, method, body_schema in operations:
        bodies = _bodies(body_schema, schema.get("components", {}))
        _fuzzer(admin_api, path, method, bodies, per_operation, sent, statuses)()
    print(f"\nfuzz: {sum(sent.values())} requests over {len(sent)} operations; answers {sorted(statuses.items())}")
    assert sum(sent.values()) >= 500, sent
    assert all(count >= per_operation * 0.8 for count in sent.values()), sent


def _split(path: str) -> list[str]:
    """"/api/streams/{id}/start/" -> ["/api/streams/", "{id}", "/start/"]."""
    parts, current = [], ""
    for char in path:
        if char == "{" and current:
            parts.append(current)
            current = ""
        current += char
        if char == "}":
            parts.append(current)
            current = ""
    return [*parts, current] if current else parts
