"""Reads of viewing tokens. A secret is looked up by its hash; the secret itself is never stored."""

import hashlib

from django.db.models import QuerySet

from outputs.models import ViewingToken

SECRET_PREFIX = "svt_"  # "StreamVision viewing token": recognisable in a leaked config, as GitHub's ghp_ are


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_list(*, stream_id: int, active_only: bool = False) -> QuerySet[ViewingToken]:
    tokens = ViewingToken.objects.filter(stream_id=stream_id).select_related("created_by")
    return tokens.filter(revoked_at__isnull=True) if active_only else tokens


def token_get(*, stream_id: int, token_id: int) -> ViewingToken | None:
    return token_list(stream_id=stream_id).filter(pk=token_id).first()


def token_by_secret(secret: str) -> ViewingToken | None:
    """The token a player presents, whichever stream it is for; None if no token has this secret."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    return ViewingToken.objects.filter(token_hash=secret_hash(secret)).select_related("stream").first()
