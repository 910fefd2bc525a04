"""The outbox (one row per fact to tell other systems, written in the fact's own transaction), the webhook
endpoints, and each message's delivery to each target with its attempts (the delivery log)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from streams.models import Stream


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def validate_event_types(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Enter a list of message types.")
    unknown = sorted(set(value) - set(OutboxMessage.SUBSCRIBABLE))
    if unknown:
        known = ", ".join(OutboxMessage.SUBSCRIBABLE)
        raise ValidationError(f"Unknown message types: {', '.join(unknown)}; known: {known}.")


class OutboxMessage(models.Model):
    """One fact for other systems. Its `msg_id` is the `webhook-id` of every attempt to every endpoint."""

    class Type(models.TextChoices):
        EVENT_NEW = "event.new"
        EVENT_UPDATE = "event.update"
        EVENT_END = "event.end"
        STREAM_STATUS = "stream.status"
        STREAM_DELETED = "stream.deleted"
        STREAM_COUNTS = "stream.counts"  # MQTT only: a stream's line and zone counts, after they changed
        WEBHOOK_TEST = "webhook.test"

    SUBSCRIBABLE = ("event.new", "event.update", "event.end", "stream.status")
    DEFAULT_WEBHOOK_TYPES = ["event.new", "event.update", "event.end"]

    msg_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    type = models.CharField(max_length=32, choices=Type.choices)
    stream_id = models.BigIntegerField(null=True, blank=True, db_index=True)  # no FK: outlives its stream
    event_id = models.UUIDField(null=True, blank=True, db_index=True)
    payload = models.JSONField(help_text="The message's data (events: {before, after}).")
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Fanned out to targets.")
    only_endpoint = models.ForeignKey(
        "WebhookEndpoint", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="A test message: for this endpoint only.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.msg_id} {self.type}"


class WebhookEndpoint(models.Model):
    """A receiver of signed webhooks (Standard Webhooks). The secret is shown once, when made or rotated."""

    name = models.CharField(max_length=100, unique=True)
    url = models.CharField(max_length=2000, help_text="http:// or https:// URL that receives POSTs.")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    allow_private = models.BooleanField(
        default=False, help_text="Admins only: allow a target on a loopback, link-local or private address."
    )
    stream = models.ForeignKey(
        Stream, on_delete=models.CASCADE, null=True, blank=True, related_name="webhook_endpoints",
        help_text="Only this stream's messages (empty: every stream).",
    )
    event_types = models.JSONField(
        default=list, blank=True, validators=[validate_event_types],
        help_text="Message types to send (empty: event.new, event.update, event.end).",
    )
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, message: OutboxMessage) -> bool:
        if message.only_endpoint_id is not None:
            return message.only_endpoint_id == self.pk
        if self.stream_id is not None and message.stream_id != self.stream_id:
            return False
        return message.type in (self.event_types or OutboxMessage.DEFAULT_WEBHOOK_TYPES)


class Delivery(models.Model):
    """One message to one target. Deliveries of one queue (target, endpoint, stream) go out in message order."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    class Target(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        MQTT = "mqtt", "MQTT"

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    target = models.CharField(max_length=16, choices=Target.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    queue = models.CharField(max_length=100, help_text="In-order lane: target, endpoint and stream.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_response_code = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="events_delivery_due"),
            models.Index(fields=["queue", "status", "message"], name="events_delivery_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.message.msg_id} → {self.endpoint or self.target}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per try, written when the try starts and completed with its outcome."""

    class Outcome(models.TextChoices):
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        RETRY = "retry", "Will retry"
        GAVE_UP = "gave_up", "Gave up"
        DISABLED = "disabled", "Endpoint disabled (410)"
        INTERRUPTED = "interrupted", "Deliverer stopped before the answer"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    deliverer = models.CharField(max_length=200)
    started_at = models.DateTimeField(default=timezone.now)
    latency_ms = models.FloatField(null=True, blank=True)
    response_code = models.IntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SENDING)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.outcome}"
