"""The events pages (events/views/events.py, webhooks_views.py) and the events parts of the stream page and
the wall, through Django's test client on the real database."""

import re

import pytest
from django.urls import reverse

from events import occurrences
from events.models import Event, OutboxMessage, Rule, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_timeline_lists_events_with_thumbnails_filters_and_pages(admin_client, make_event, person_rule):
    """GIVEN 30 events, one with a snapshot WHEN the events page is opened, filtered and paged THEN it shows 25
    per page newest first, the thumbnail's URL, and filters that select; the fragment is the list alone."""
    events = [make_event(tracker_id=n) for n in range(29)] + [make_event(tracker_id=99, image_kb=10)]
    page = admin_client.get(reverse("events")).content.decode()
    assert page.count('class="event-row"') == 25 and f"/api/events/{events[-1].pk}/thumbnail/" in page
    assert "Page 1 of 2" in page and 'id="events-live"' in page
    second = admin_client.get(reverse("events") + "?page=2").content.decode()
    assert second.count('class="event-row"') == 5
    filtered = admin_client.get(reverse("events") + "?label=car").content.decode()
    assert "No events match these filters" in filtered
    fragment = admin_client.get(reverse("events") + f"?stream={person_rule.stream_id}&fragment=1").content.decode()
    assert "<html" not in fragment and fragment.count('class="event-row"') == 25


def test_detail_shows_the_snapshot_and_acknowledging_records_who(admin_client, make_event):
    """GIVEN an event with a snapshot WHEN its page is opened and acknowledged THEN the snapshot is on the page
    and the event says who acknowledged it."""
    event = make_event(image_kb=10)
    page = admin_client.get(reverse("event-detail", args=[event.pk])).content.decode()
    assert f'src="/api/events/{event.pk}/snapshot/"' in page and "Acknowledge" in page
    admin_client.post(reverse("event-acknowledge", args=[event.pk]))
    event.refresh_from_db()
    assert event.acknowledged_by == "admin"
    assert "Acknowledged by admin" in admin_client.get(reverse("event-detail", args=[event.pk])).content.decode()


def test_a_rule_form_with_an_unknown_class_or_a_negative_duration_shows_errors_and_stores_nothing(
    admin_client, event_stream, coco_catalog
):
    """GIVEN the new-rule form WHEN sent with an unknown class and a negative duration THEN the page shows the
    errors and no rule exists; sent right, the rule is stored."""
    form = {"stream": event_stream.pk, "name": "people", "kind": "object", "classes": "person, unicorn",
            "min_score": "0.5", "min_duration_s": "-2", "cooldown_s": "0", "enabled": "on"}  # fmt: skip
    page = admin_client.post(reverse("event-rule-create"), form).content.decode()
    assert "greater than or equal to 0" in page and not Rule.objects.exists()
    page = admin_client.post(reverse("event-rule-create"), {**form, "min_duration_s": "1"}).content.decode()
    assert "Unknown class(es)" in page and "unicorn" in page and not Rule.objects.exists()
    response = admin_client.post(reverse("event-rule-create"), {**form, "min_duration_s": "1", "classes": "person"})
    assert response.status_code == 302 and Rule.objects.get().classes == ["person"]
    assert "people" in admin_client.get(reverse("event-rules")).content.decode()


def test_webhook_pages_show_the_secret_once_test_rotate_toggle_and_replay(admin_client):
    """GIVEN the webhooks page WHEN an endpoint is added THEN the answer shows its secret once and the detail page
    never; "Send test event" queues a message; rotate shows a new secret; disable and replay act."""
    form = {"name": "rx", "url": "http://127.0.0.1:9/hook", "allow_private": "on", "enabled": "on"}
    created = admin_client.post(reverse("webhooks"), form)
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', created.content.decode()).group(1)
    assert created["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    detail = admin_client.get(reverse("webhook-detail", args=[endpoint.pk])).content.decode()
    assert secret not in detail and "Send test event" in detail
    admin_client.post(reverse("webhook-test", args=[endpoint.pk]))
    assert OutboxMessage.objects.get().type == "webhook.test"
    rotated = admin_client.post(reverse("webhook-rotate", args=[endpoint.pk])).content.decode()
    assert "whsec_" in rotated and secret not in rotated
    admin_client.post(reverse("webhook-toggle", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.enabled


def test_a_webhook_url_that_is_not_http_is_a_form_error(admin_client):
    page = admin_client.post(reverse("webhooks"), {"name": "rx", "url": "ftp://example.org/x"}).content.decode()
    assert "http://" in page and not WebhookEndpoint.objects.exists()


def test_stream_page_lists_its_recent_events_and_the_wall_badges_a_tile_with_an_active_alert(
    admin_client, make_event, person_rule
):
    """GIVEN a stream with an event in progress and an ended one WHEN its page and the wall are opened THEN the
    page lists both with a live list for the stream, and the tile's badge counts the one in progress; once
    acknowledged, the badge is hidden."""
    active, ended = make_event(tracker_id=1), make_event(tracker_id=2)
    occurrences.event_end(event_id=ended.pk, reason="left")
    page = admin_client.get(reverse("stream-detail", args=[person_rule.stream_id])).content.decode()
    assert page.count('class="event-row"') == 2 and f'data-stream-id="{person_rule.stream_id}"' in page
    assert "js/events.js" in page
    wall = admin_client.get(reverse("stream-list")).content.decode()
    badge = re.search(r'<a class="alert-badge"[^>]*>.*?</a>', wall, re.S).group(0)
    assert '<span class="alert-count">1</span> alert' in badge and "hidden" not in badge
    Event.objects.filter(pk=active.pk).update(acknowledged_at=ended.started_at)
    wall = admin_client.get(reverse("stream-list")).content.decode()
    assert re.search(r'<a class="alert-badge"[^>]*hidden', wall)
