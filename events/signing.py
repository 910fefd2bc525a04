"""Standard Webhooks signing (the `standardwebhooks` package): `webhook-signature` is a space-separated list of
`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per secret in force, so a receiver keeps accepting
messages while it moves to a rotated secret."""

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from events.models import WebhookEndpoint

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secrets_in_force(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        found.append(endpoint.previous_secret)
    return found


def signed_headers(*, endpoint: WebhookEndpoint, msg_id: str, body: str, now: datetime) -> dict[str, str]:
    moment = datetime.fromtimestamp(int(now.timestamp()), tz=UTC)
    signatures = [Webhook(secret).sign(msg_id, moment, body) for secret in secrets_in_force(endpoint, now)]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
