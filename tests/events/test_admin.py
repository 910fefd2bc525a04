"""The events admin: every list and form opens; endpoints made there show their secret once; only superusers may
allow private targets; replays and acknowledgements go through the services."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from events import delivery_queue, endpoints
from events.models import Delivery, Event, WebhookEndpoint

pytestmark = pytest.mark.django_db

MODELS = ["rule", "event", "streamoutage", "webhookendpoint", "delivery", "outboxmessage"]


@pytest.mark.parametrize("model", MODELS)
def test_each_admin_list_opens(admin_client, make_event, model):
    make_event()
    assert admin_client.get(reverse(f"admin:events_{model}_changelist")).status_code == 200


def test_an_endpoint_added_in_the_admin_shows_its_secret_once(admin_client):
    """GIVEN the add form WHEN an endpoint is saved THEN the next page's message holds its secret, and the change
    form does not."""
    form = {"name": "rx", "url": "http://127.0.0.1:9/h", "event_types": "[]", "enabled": "on", "allow_private": "on"}
    response = admin_client.post(reverse("admin:events_webhookendpoint_add"), form, follow=True)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode() and endpoint.allow_private
    change = admin_client.get(reverse("admin:events_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in change


def test_staff_who_are_not_superusers_cannot_allow_private_targets(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="pw-123456", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="webhookendpoint"))
    client.force_login(staff)
    endpoint, _ = endpoints.endpoint_create(is_admin=True, name="rx", url="http://127.0.0.1:9/h", allow_private=True)
    page = client.get(reverse("admin:events_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert 'name="allow_private"' not in page


def test_replay_and_acknowledge_actions(admin_client, make_event):
    """GIVEN a delivered message and an event WHEN the admin replays and acknowledges them THEN a new delivery of the
    same message is pending and the event is acknowledged by the admin."""
    event = make_event()
    endpoint, _ = endpoints.endpoint_create(is_admin=True, name="rx", url="http://127.0.0.1:9/h", allow_private=True)
    endpoints.endpoint_send_test(endpoint=endpoint)
    delivery_queue.outbox_dispatch(mqtt_enabled=False)
    delivery = Delivery.objects.get(message__type="webhook.test")
    admin_client.post(reverse("admin:events_delivery_changelist"),
                      {"action": "replay", "_selected_action": [delivery.pk]})  # fmt: skip
    assert Delivery.objects.filter(replay_of=delivery, message=delivery.message).count() == 1
    admin_client.post(reverse("admin:events_event_changelist"),
                      {"action": "acknowledge", "_selected_action": [event.pk]})  # fmt: skip
    assert Event.objects.get(pk=event.pk).acknowledged_by == "admin"
