"""Writes of viewing tokens: create (the secret is returned this once), revoke, note a use. Creating and revoking
are recorded in the stream's event log with who did it; the secret never is."""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from outputs.models import ViewingToken
from outputs.selectors import SECRET_PREFIX, secret_hash
from streams import audit
from streams.models import Stream, StreamEvent

PREFIX_SHOWN = len(SECRET_PREFIX) + 4
# last_used_at is rewritten at most this often: a player polling a still image must not write once per request.
USED_RESOLUTION = timedelta(seconds=60)


def token_create(*, stream: Stream, name: str, created_by: object = None, actor: str = "") -> tuple[ViewingToken, str]:
    """A new viewing token for `stream` and its secret (shown once: only its hash is stored)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Say what the token is for, e.g. “VLC in the control room”."]})
    if len(name) > 100:
        raise ValidationError({"name": ["At most 100 characters."]})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    user = created_by if getattr(created_by, "is_authenticated", False) else None
    with transaction.atomic():
        token = ViewingToken.objects.create(stream=stream, name=name, token_hash=secret_hash(secret),
                                            prefix=secret[:PREFIX_SHOWN], created_by=user)  # fmt: skip
        audit.event_record(stream=stream, kind=StreamEvent.Kind.CONFIG, actor=actor,
                           message=f"viewing token “{name}” ({token.shown}) created")  # fmt: skip
    return token, secret


def token_revoke(*, token: ViewingToken, actor: str = "") -> ViewingToken:
    """Revoke a token (idempotent): players using it get 403 from their next request, and an open MJPEG
    connection ends within outputs.views.RECHECK_S."""
    with transaction.atomic():
        updated = ViewingToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            audit.event_record(stream=token.stream, kind=StreamEvent.Kind.CONFIG, actor=actor,
                               message=f"viewing token “{token.name}” ({token.shown}) revoked")  # fmt: skip
    token.refresh_from_db()
    return token


def token_mark_used(*, token: ViewingToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= USED_RESOLUTION:
        ViewingToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
