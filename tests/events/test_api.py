"""The events API (events/api/events.py, events/api/webhooks.py): rules, events, snapshots, acknowledge,
webhook endpoints, the delivery log, test events and replays; bad input is 400 and stores nothing."""

import pytest
from django.test import Client

from events import delivery_queue, occurrences
from events.models import Delivery, Event, OutboxMessage, Rule, WebhookEndpoint
from tests.events.fixtures import days_ago

pytestmark = pytest.mark.django_db
LOCAL = {"name": "rx", "url": "http://127.0.0.1:9/h", "allow_private": True}


@pytest.fixture
def operator(client: Client, user_with_role) -> Client:
    """An operator: reads everything, acknowledges events."""
    client.force_login(user_with_role("operator", "op"))
    return client


@pytest.fixture
def manager(user_with_role) -> Client:
    """An admin (role): rules and webhook endpoints are configuration, an admin's to change."""
    client = Client()
    client.force_login(user_with_role("admin"))
    return client


def _post(client: Client, path: str, data: dict | None = None):
    return client.post(path, data or {}, content_type="application/json")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"classes": ["person", "unicorn"]}, "classes"),
        ({"min_duration_s": -1}, "min_duration_s"),
        ({"cooldown_s": -0.5}, "cooldown_s"),
        ({"min_score": 1.5}, "min_score"),
        ({"kind": "telepathy"}, "kind"),
        ({"kind": "stream_down", "classes": ["person"]}, "classes"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_rules_are_400_naming_the_field_and_nothing_is_stored(manager, event_stream, coco_catalog, payload,
                                                                  field):
    """GIVEN a rule with an unknown class, a negative duration, … WHEN POSTed THEN 400 names the field, no rule."""
    rule = {"stream": event_stream.pk, "name": "r", "classes": ["person"], **payload}
    response = _post(manager, "/api/event-rules/", rule)
    assert response.status_code == 400, response.content
    assert field in response.json() and response.json()[field]
    assert Rule.objects.count() == 0


def test_rules_crud(manager, event_stream, coco_catalog):
    """GIVEN a stream WHEN a rule is created, listed by stream, changed and deleted THEN each answers as stored."""
    rule = {"stream": event_stream.pk, "name": "people", "classes": ["person"], "min_score": 0.6,
            "min_duration_s": 1.5, "cooldown_s": 10}  # fmt: skip
    created = _post(manager, "/api/event-rules/", rule)
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert [r["id"] for r in manager.get(f"/api/event-rules/?stream={event_stream.pk}").json()] == [rule_id]
    changed = manager.patch(f"/api/event-rules/{rule_id}/", {"enabled": False, "classes": ["person", "dog"]},
                             content_type="application/json")  # fmt: skip
    assert changed.status_code == 200 and changed.json()["classes"] == ["person", "dog"]
    assert manager.patch(f"/api/event-rules/{rule_id}/", {"classes": ["yeti"]},
                          content_type="application/json").status_code == 400  # fmt: skip
    assert Rule.objects.get().classes == ["person", "dog"]
    assert manager.delete(f"/api/event-rules/{rule_id}/").status_code == 204 and not Rule.objects.exists()


def test_events_list_filters_detail_snapshot_and_acknowledge(operator, make_event, person_rule):
    """GIVEN an old ended event and a new one with a snapshot WHEN listed with filters, fetched and acknowledged
    THEN filters select, the snapshot downloads as JPEG, and the acknowledgement records who."""
    old = make_event(started_at=days_ago(3), class_name="person")
    occurrences.event_end(event_id=old.pk, reason="left")
    new = make_event(image_kb=20, tracker_id=9)
    listed = operator.get(f"/api/events/?stream={person_rule.stream_id}").json()
    assert listed["count"] == 2 and [e["id"] for e in listed["results"]] == [str(new.pk), str(old.pk)]
    assert [e["id"] for e in operator.get("/api/events/?active=true").json()["results"]] == [str(new.pk)]
    since = days_ago(1).isoformat().replace("+00:00", "Z")
    assert [e["id"] for e in operator.get(f"/api/events/?since={since}").json()["results"]] == [str(new.pk)]
    assert operator.get("/api/events/?class=car").json()["count"] == 0
    assert operator.get("/api/events/?since=yesterday").status_code == 400
    detail = operator.get(f"/api/events/{new.pk}/").json()
    assert detail["has_snapshot"] and detail["snapshot_url"] == f"/api/events/{new.pk}/snapshot/"
    image = operator.get(detail["snapshot_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    assert operator.get(f"/api/events/{old.pk}/snapshot/").status_code == 404
    acked = _post(operator, f"/api/events/{new.pk}/acknowledge/").json()
    assert acked["acknowledged_by"] == "op" and acked["acknowledged_at"]


@pytest.mark.parametrize("url", ["ftp://example.org/h", "not a url", "http://127.0.0.1:9/h", "http://10.0.0.5/h"])
def test_bad_or_private_webhook_urls_are_400_and_nothing_is_stored(manager, url):
    response = _post(manager, "/api/webhooks/", {"name": "x", "url": url})
    assert response.status_code == 400 and "url" in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_only_an_admin_may_allow_a_private_target(operator, admin_client):
    """GIVEN an operator and an admin WHEN each asks for a 127.0.0.1 endpoint with allow_private THEN the operator
    is refused (webhook endpoints are an admin's), the admin gets it."""
    payload = {"name": "local", "url": "http://127.0.0.1:9/h", "allow_private": True}
    refused = _post(operator, "/api/webhooks/", payload)
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    assert not WebhookEndpoint.objects.exists()
    assert _post(admin_client, "/api/webhooks/", payload).status_code == 201


def test_the_secret_is_shown_on_create_and_rotation_only(admin_client):
    """GIVEN a new endpoint WHEN it is created, read, listed and rotated THEN the secret appears in the create and
    rotate answers only, and the rotated one differs."""
    created = _post(admin_client, "/api/webhooks/", LOCAL)
    secret = created.json()["secret"]
    endpoint_id = created.json()["id"]
    assert secret.startswith("whsec_")
    for path in (f"/api/webhooks/{endpoint_id}/", "/api/webhooks/"):
        assert secret not in admin_client.get(path).content.decode()
    rotated = _post(admin_client, f"/api/webhooks/{endpoint_id}/rotate-secret/").json()["secret"]
    assert rotated.startswith("whsec_") and rotated != secret
    assert WebhookEndpoint.objects.get().previous_secret == secret


def test_test_event_delivery_log_and_replay(admin_client):
    """GIVEN an endpoint WHEN a test event is sent, claimed and failed once, then replayed THEN the log shows the
    attempt and the replay is a new pending delivery of the same message."""
    endpoint_id = _post(admin_client, "/api/webhooks/", LOCAL).json()["id"]
    sent = _post(admin_client, f"/api/webhooks/{endpoint_id}/test/")
    assert sent.status_code == 202 and OutboxMessage.objects.get().msg_id == sent.json()["msg_id"]
    delivery_queue.outbox_dispatch(mqtt_enabled=False)
    claim = delivery_queue.deliveries_claim(deliverer="d", limit=5, lease_s=30)[0]
    assert claim.attempt.number == 1
    log = admin_client.get(f"/api/webhooks/{endpoint_id}/log/").json()
    assert [(a["msg_id"], a["number"], a["outcome"]) for a in log] == [(sent.json()["msg_id"], 1, "sending")]
    replay = _post(admin_client, f"/api/deliveries/{claim.delivery.pk}/replay/")
    assert replay.status_code == 202 and replay.json()["msg_id"] == sent.json()["msg_id"]
    assert Delivery.objects.filter(replay_of=claim.delivery).count() == 1
    deliveries = admin_client.get(f"/api/deliveries/?endpoint={endpoint_id}").json()
    assert deliveries["count"] == 2


def test_a_disabled_endpoint_takes_no_test_event(admin_client):
    endpoint_id = _post(admin_client, "/api/webhooks/", {**LOCAL, "enabled": False}).json()["id"]
    assert _post(admin_client, f"/api/webhooks/{endpoint_id}/test/").status_code == 400
    assert not OutboxMessage.objects.exists() and not Event.objects.exists()
