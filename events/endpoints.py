"""Writes of webhook endpoints and deliveries: create (the secret is returned once), change, delete, rotate the
secret, send a test event, replay a delivery. Only admins may allow private targets (see events.ssrf)."""

import logging
from datetime import timedelta
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from events import outbox, ssrf
from events.models import Delivery, OutboxMessage, WebhookEndpoint
from events.signing import new_secret
from streams.models import Stream

logger = logging.getLogger(__name__)

ROTATION_OVERLAP = timedelta(hours=24)  # both secrets sign meanwhile, so receivers can switch without a gap


class EndpointFields(TypedDict, total=False):
    name: str
    url: str
    enabled: bool
    allow_private: bool
    stream: Stream | None
    event_types: list[str]


def endpoint_create(
    *, is_admin: bool, actor: str = "", **fields: Unpack[EndpointFields]
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret: the only time the secret is shown."""
    endpoint = WebhookEndpoint(**fields)
    _check_private(turned_on=endpoint.allow_private, is_admin=is_admin)
    endpoint.secret = new_secret()
    _validate(endpoint)
    endpoint.save()
    logger.info("Webhook endpoint %s (%s) created by %s", endpoint.pk, endpoint.name, actor or "system")
    return endpoint, endpoint.secret


def endpoint_update(
    *, endpoint: WebhookEndpoint, is_admin: bool, actor: str = "", **changes: Unpack[EndpointFields]
) -> WebhookEndpoint:
    was_allowed = endpoint.allow_private
    for field, value in changes.items():
        setattr(endpoint, field, value)
    _check_private(turned_on=endpoint.allow_private and not was_allowed, is_admin=is_admin)
    if changes.get("enabled"):
        endpoint.disabled_reason = ""
    _validate(endpoint)
    endpoint.save()
    logger.info("Webhook endpoint %s changed (%s) by %s", endpoint.pk, ", ".join(sorted(changes)), actor or "system")
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, actor: str = "") -> None:
    logger.info("Webhook endpoint %s (%s) deleted by %s", endpoint.pk, endpoint.name, actor or "system")
    endpoint.delete()


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: str = "") -> str:
    """A new secret (returned once); the old one keeps signing alongside it for ROTATION_OVERLAP."""
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, timezone.now() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
    logger.info("Webhook endpoint %s: secret rotated by %s", endpoint.pk, actor or "system")
    return endpoint.secret


def endpoint_send_test(*, endpoint: WebhookEndpoint, actor: str = "") -> OutboxMessage:
    if not endpoint.enabled:
        raise ValidationError("The endpoint is disabled: enable it to send a test event.")
    with transaction.atomic():
        return outbox.outbox_test(endpoint=endpoint, actor=actor)


def delivery_replay(*, delivery: Delivery, actor: str = "") -> Delivery:
    """Send a delivered (or abandoned) message again, with the same webhook-id: a receiver that de-duplicates
    on it and still remembers it will ignore it."""
    if delivery.endpoint is not None and not delivery.endpoint.enabled:
        raise ValidationError("The endpoint is disabled: enable it to replay.")
    with transaction.atomic():
        replay = Delivery.objects.create(
            message=delivery.message, target=delivery.target, endpoint=delivery.endpoint, queue=delivery.queue,
            replay_of=delivery,
        )
        transaction.on_commit(outbox.wake_deliverers)
    logger.info("Delivery %s replayed as %s by %s", delivery.pk, replay.pk, actor or "system")
    return replay


def _check_private(*, turned_on: bool, is_admin: bool) -> None:
    if turned_on and not is_admin:
        raise ValidationError({"allow_private": "Only an admin can allow private targets."})


def _validate(endpoint: WebhookEndpoint) -> None:
    endpoint.url = endpoint.url.strip()
    endpoint.full_clean()
    ssrf.check_target(endpoint.url, allow_private=endpoint.allow_private)
