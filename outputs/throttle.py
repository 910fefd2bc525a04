"""Refused viewing tokens, counted per client address in Redis, with a cool-off (429), as logins are throttled.

Why not django-axes, which throttles the logins: axes counts failed *logins* of user accounts, in database rows,
and its lockout of an address is a lockout from the login page too. A viewing token is no account, the failures
come from players that retry on their own (Home Assistant every few seconds), and a misconfigured player in a
control room must not lock the operators sitting behind the same address out of the site. So: a counter per
address in Redis (one write per refusal, shared by every web process) that expires OUTPUT_TOKEN_LOCKOUT_S after
the latest counted failure. The address is resolved as axes resolves it (its AXES_* proxy settings apply).

Only a presented token that is refused counts; a request with no credentials at all (a player's first request
before the 401 challenge) does not. Tries during a lockout are not counted, so they do not extend it.
"""

import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest

from core import redis_keys
from streams import audit
from streams.control import redis_client

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "unknown"


def locked_for_s(address: str) -> int:
    """Seconds left of this address's lockout; 0 if it may try."""
    key = redis_keys.output_failures_key(address)
    with redis_client().pipeline() as pipe:
        count, ttl = pipe.get(key).ttl(key).execute()
    if count is None or int(count) < settings.OUTPUT_TOKEN_FAILURE_LIMIT:
        return 0
    return max(1, int(ttl))


def failure_record(address: str, *, stream_id: int) -> None:
    """Count one refused token; the failure that reaches the limit is logged and put in the event log."""
    key = redis_keys.output_failures_key(address)
    lockout_s = max(1, round(settings.OUTPUT_TOKEN_LOCKOUT_S))
    with redis_client().pipeline() as pipe:
        count, _ = pipe.incr(key).expire(key, lockout_s).execute()
    if count == settings.OUTPUT_TOKEN_FAILURE_LIMIT:
        message = (f"Viewing tokens: {address} locked out for {lockout_s} s after {count} refused tokens "
                   f"(latest for stream {stream_id})")  # fmt: skip
        logger.warning(message)
        audit.security_event_record(message=message, actor=address)
