"""The deliveries' queue in the database: fan new outbox messages out to their targets, claim the deliveries
that are due, record how each try went.

Safe with several deliverers, on SQLite and PostgreSQL: every step that takes something is a conditional
UPDATE (a message is fanned out once; a delivery is claimed by one deliverer, for DELIVERY_LEASE_S, so a
deliverer killed mid-send loses it after that and another sends it again with the same webhook-id).

Order: the deliveries of one lane (target, endpoint, stream) go out one at a time in message order: a delivery
is due only when no earlier message of its lane is still pending, and none of its stream is still unfanned.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from events.models import Delivery, DeliveryAttempt, OutboxMessage, WebhookEndpoint
from events.mqtt import MQTT_TYPES
from events.retry import RetryPolicy
from events.sending import SendResult

logger = logging.getLogger(__name__)

Status = Delivery.Status
Outcome = DeliveryAttempt.Outcome


@dataclass(frozen=True)
class Claim:
    delivery: Delivery
    attempt: DeliveryAttempt


def lane(target: str, endpoint_id: int | None, message: OutboxMessage) -> str:
    """Deliveries of one lane keep their order; a message of no stream (a test) has a lane of its own."""
    return f"{target}:{endpoint_id or 0}:{message.stream_id if message.stream_id is not None else message.msg_id}"


def outbox_dispatch(*, mqtt_enabled: bool, limit: int = 200) -> int:
    """Fan new messages out to the targets that want them, oldest first; returns how many were fanned out."""
    pending = OutboxMessage.objects.filter(dispatched_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    endpoints = list(WebhookEndpoint.objects.filter(enabled=True))
    done = 0
    for pk in list(pending[:limit]):
        with transaction.atomic():
            if not OutboxMessage.objects.filter(pk=pk, dispatched_at__isnull=True).update(dispatched_at=timezone.now()):
                continue  # another deliverer took it
            message = OutboxMessage.objects.get(pk=pk)
            Delivery.objects.bulk_create(_deliveries(message, endpoints, mqtt_enabled))
        done += 1
    return done


def _deliveries(message: OutboxMessage, endpoints: list[WebhookEndpoint], mqtt_enabled: bool) -> list[Delivery]:
    webhook = Delivery.Target.WEBHOOK
    found = [Delivery(message=message, target=webhook, endpoint=endpoint, queue=lane(webhook, endpoint.pk, message))
             for endpoint in endpoints if endpoint.wants(message)]  # fmt: skip
    if mqtt_enabled and message.type in MQTT_TYPES:
        found.append(Delivery(message=message, target=Delivery.Target.MQTT, queue=lane("mqtt", None, message)))
    return found


def deliveries_claim(*, deliverer: str, limit: int, lease_s: float) -> list[Claim]:
    """Take up to `limit` due deliveries, each the head of its lane; each claim opens an attempt in the log."""
    if limit <= 0:
        return []
    now = timezone.now()
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    earlier_pending = Delivery.objects.filter(
        queue=OuterRef("queue"), status=Status.PENDING, message_id__lt=OuterRef("message_id")
    )
    earlier_unfanned = OutboxMessage.objects.filter(
        stream_id=OuterRef("message__stream_id"), dispatched_at__isnull=True, pk__lt=OuterRef("message_id")
    )
    due = (
        Delivery.objects.filter(unclaimed, status=Status.PENDING, next_attempt_at__lte=now)
        .exclude(endpoint__enabled=False)
        .filter(~Exists(earlier_pending), ~Exists(earlier_unfanned))
        .select_related("message", "endpoint").order_by("message_id", "pk")
    )
    claims = []
    for delivery in due[:limit]:
        claim = _claim(delivery, deliverer=deliverer, until=now + timedelta(seconds=lease_s), unclaimed=unclaimed)
        if claim is not None:
            claims.append(claim)
    return claims


def _claim(delivery: Delivery, *, deliverer: str, until, unclaimed: Q) -> Claim | None:  # noqa: ANN001 - datetime
    with transaction.atomic():
        taken = Delivery.objects.filter(unclaimed, pk=delivery.pk, status=Status.PENDING).update(
            claimed_by=deliverer, claimed_until=until, attempts=F("attempts") + 1
        )
        if not taken:
            return None
        # A try still "sending" belonged to a deliverer that died before it heard the answer.
        DeliveryAttempt.objects.filter(delivery=delivery, outcome=Outcome.SENDING).update(outcome=Outcome.INTERRUPTED)
        delivery.refresh_from_db(fields=["attempts", "claimed_by", "claimed_until"])
        attempt = DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, deliverer=deliverer)
    return Claim(delivery=delivery, attempt=attempt)


def delivery_record(*, claim: Claim, result: SendResult, deliverer: str, policy: RetryPolicy) -> str:
    """Write how the try went and what comes next; returns the attempt's outcome."""
    delivery, now = claim.delivery, timezone.now()
    fields = {"claimed_by": "", "claimed_until": None, "last_response_code": result.code,
              "last_error": result.error[:500]}  # fmt: skip
    if result.ok:
        outcome = Outcome.DELIVERED
        fields.update(status=Status.DELIVERED, delivered_at=now)
    elif result.gone:
        outcome = Outcome.DISABLED  # stays pending: it goes out if the endpoint is enabled again
    elif (now - delivery.created_at).total_seconds() > policy.give_up_after_s:
        outcome = Outcome.GAVE_UP
        fields.update(status=Status.FAILED)
    else:
        outcome = Outcome.RETRY
        delay = policy.delay_s(delivery.attempts, retry_after_s=result.retry_after_s)
        fields.update(next_attempt_at=now + timedelta(seconds=delay))
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=claim.attempt.pk).update(
            outcome=outcome, latency_ms=result.latency_ms, response_code=result.code, error=result.error[:500]
        )
        Delivery.objects.filter(pk=delivery.pk, claimed_by=deliverer).update(**fields)
        if result.gone and delivery.endpoint_id is not None:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
                enabled=False, disabled_reason=f"the receiver answered 410 Gone at {now:%Y-%m-%d %H:%M:%S} UTC"
            )
    return outcome


def outbox_prune(*, older_than_days: float) -> int:
    """Delete old messages whose every delivery is over (delivered or given up), with their log."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    open_deliveries = Delivery.objects.filter(message=OuterRef("pk"), status=Status.PENDING)
    old = OutboxMessage.objects.filter(created_at__lt=cutoff, dispatched_at__isnull=False)
    old = old.exclude(Exists(open_deliveries))
    deleted, _ = old.delete()
    return deleted
