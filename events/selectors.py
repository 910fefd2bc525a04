"""Reads of the events app: rules, events with their filters, alerts, endpoints and the delivery log."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from analytics.models import Zone
from events.models import Delivery, DeliveryAttempt, Event, Rule, WebhookEndpoint


def rules_for_pipeline(*, stream_id: int) -> list[Rule]:
    """The stream's enabled object rules (stream rules are handled by the status hook)."""
    return list(Rule.objects.filter(stream_id=stream_id, kind__in=Rule.OBJECT_KINDS, enabled=True))


def rule_list(*, stream_id: int | None = None) -> QuerySet[Rule]:
    rules = Rule.objects.select_related("stream", "zone", "line")
    return rules.filter(stream_id=stream_id) if stream_id is not None else rules


def event_list(
    *,
    stream_id: int | None = None,
    rule_id: int | None = None,
    class_name: str = "",
    zone_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    active: bool | None = None,
) -> QuerySet[Event]:
    """Events newest first, filtered by stream, rule, class, zone (events that were in it), start time and
    whether they are still going on."""
    events = Event.objects.select_related("stream")
    conditions = {
        "stream_id": stream_id, "rule_id": rule_id, "class_name": class_name or None,
        "started_at__gte": since, "started_at__lt": until,
    }
    events = events.filter(**{field: value for field, value in conditions.items() if value is not None})
    if zone_id is not None:
        events = events.filter(pk__in=Event.in_zones.through.objects.filter(zone_id=zone_id).values("event_id"))
    if active is not None:
        events = events.filter(ended_at__isnull=active)
    return events.order_by("-started_at", "-pk")


def event_get(*, event_id: str) -> Event | None:
    try:
        return Event.objects.select_related("stream", "rule").filter(pk=event_id).first()
    except ValueError:  # not a UUID
        return None


def active_alert_counts() -> dict[int, int]:
    """Per stream: events in progress that nobody acknowledged (the wall's badges)."""
    rows = (
        Event.objects.filter(ended_at__isnull=True, acknowledged_at__isnull=True)
        .values("stream_id").annotate(count=Count("pk"))
    )
    return {row["stream_id"]: row["count"] for row in rows}


def zone_choices() -> QuerySet[Zone]:
    """The zones the timeline can filter by, with their stream (for their labels)."""
    return Zone.objects.select_related("stream").order_by("stream__name", "name")


def class_names_seen() -> list[str]:
    names = Event.objects.exclude(class_name="").order_by("class_name").values_list("class_name", flat=True)
    return list(names.distinct())


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("stream").annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING))
    )


def endpoint_get(*, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=endpoint_id).first()


def delivery_log(*, endpoint_id: int, limit: int = 100) -> QuerySet[DeliveryAttempt]:
    """The endpoint's attempts, newest first, with their message."""
    attempts = DeliveryAttempt.objects.filter(delivery__endpoint_id=endpoint_id)
    return attempts.select_related("delivery__message").order_by("-started_at", "-pk")[:limit]


def deliveries_of(*, endpoint_id: int, limit: int = 500) -> QuerySet[Delivery]:
    """The endpoint's deliveries in message order (oldest first), with their message."""
    deliveries = Delivery.objects.filter(endpoint_id=endpoint_id).select_related("message")
    return deliveries.order_by("message_id", "pk")[:limit]


def delivery_get(*, delivery_id: int) -> Delivery | None:
    return Delivery.objects.select_related("message", "endpoint").filter(pk=delivery_id).first()
