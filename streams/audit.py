"""Each stream's event log (`StreamEvent`): commands with who gave them, settings changes, state changes with
the reporting worker, errors, and login lockouts. Messages are redacted: a camera password never reaches the log."""

import logging
from typing import TYPE_CHECKING

from django.conf import settings

from streams.models import Stream, StreamEvent
from streams.sources import redact_source

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


def event_record(*, stream: Stream, kind: str, message: str, actor: str = "") -> StreamEvent:
    return StreamEvent.objects.create(
        stream=stream, kind=kind, message=redact_source(message)[:500], actor=actor[:200]
    )


def security_event_record(*, message: str, actor: str = "") -> StreamEvent:
    """An event of no one stream (a login lockout): in the event log with kind "security"."""
    return StreamEvent.objects.create(stream=None, kind=StreamEvent.Kind.SECURITY, message=message[:500],
                                      actor=actor[:200])


def stream_events_prune(*, keep: int) -> int:
    """Keep each stream's newest `keep` events, and the newest `keep` security events; returns how many were
    deleted."""
    deleted = 0
    for stream_id in [*Stream.objects.values_list("pk", flat=True), None]:
        cutoff = StreamEvent.objects.filter(stream_id=stream_id).values_list("pk", flat=True)[keep : keep + 1]
        if cutoff:
            deleted += StreamEvent.objects.filter(stream_id=stream_id, pk__lte=cutoff[0]).delete()[0]
    return deleted


def record_lockout(sender: object, request: "HttpRequest", username: str, ip_address: str, **kwargs: object) -> None:
    """axes' user_locked_out signal: the event log shows who was locked out, from where, and for how long.
    Sent again for every try during the lockout; only the failure that locked (it was counted) is recorded."""
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    from accounts.views import retry_after_s

    wait_s, limit = retry_after_s(request, username), settings.AXES_FAILURE_LIMIT
    message = f"login locked out for {wait_s} s after {limit} failed attempts: user {username!r} from {ip_address}"
    logger.warning("%s", message)
    security_event_record(message=message, actor=ip_address or "")
