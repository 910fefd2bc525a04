"""The events pages, under /events/ (included by config/urls.py)."""

from django.urls import path

from events.views import events as events_views
from events.views import webhooks as webhooks_views

urlpatterns = [
    path("", events_views.event_list, name="events"),
    path("<uuid:event_id>/", events_views.event_detail, name="event-detail"),
    path("<uuid:event_id>/acknowledge/", events_views.event_acknowledge, name="event-acknowledge"),
    path("streams/<int:pk>/recent/", events_views.stream_recent_events, name="stream-recent-events"),
    path("rules/", events_views.rule_list, name="event-rules"),
    path("rules/new/", events_views.rule_create, name="event-rule-create"),
    path("rules/<int:pk>/edit/", events_views.rule_edit, name="event-rule-edit"),
    path("rules/<int:pk>/delete/", events_views.rule_delete, name="event-rule-delete"),
    path("webhooks/", webhooks_views.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/", webhooks_views.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/test/", webhooks_views.webhook_test, name="webhook-test"),
    path("webhooks/<int:pk>/rotate/", webhooks_views.webhook_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/toggle/", webhooks_views.webhook_toggle, name="webhook-toggle"),
    path("webhooks/<int:pk>/delete/", webhooks_views.webhook_delete, name="webhook-delete"),
    path("deliveries/<int:pk>/replay/", webhooks_views.delivery_replay, name="delivery-replay"),
]
