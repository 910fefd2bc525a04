"""Who may take a stream's outputs: a player presenting that stream's viewing token, in the URL (`?token=…`) or
as the password of HTTP basic auth (any user name). Never a session cookie or an API token: a player cannot log
in, and a login's credentials must not end up in a player's config or a URL.

Refusals carry no picture: 401 with a Basic challenge for no token or an unknown one, 403 for a revoked token or
another stream's, 429 while the address is locked out (outputs.throttle). Each refusal of a presented token is
logged with the address and why, never with the token.
"""

import base64
import binascii
import logging
from dataclasses import dataclass

import redis
from django.http import HttpRequest, HttpResponse

from outputs import selectors, services, throttle
from outputs.models import ViewingToken

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    token: ViewingToken | None = None
    refusal: HttpResponse | None = None


def plain(status: int, message: str, **headers: str) -> HttpResponse:
    """A short text answer for a player (never a picture), not to be cached."""
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def presented_secret(request: HttpRequest) -> str | None:
    """The token in the URL, else the basic-auth password; None if the request carries neither."""
    if secret := request.GET.get("token", "").strip():
        return secret
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None  # "Token <API key>", "Bearer ...": not a viewing token, and not accepted here
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2].strip() or None


def token_check(request: HttpRequest, stream_id: int) -> Verdict:
    """Whether this request may take stream `stream_id`'s outputs (sync: it reads the database and Redis)."""
    address = throttle.client_address(request)
    wait_s = _locked_for_s(address)
    if wait_s:
        return Verdict(refusal=plain(429, f"Too many refused tokens from {address}. Try again in {wait_s} s.",
                                     Retry_After=str(wait_s)))  # fmt: skip
    secret = presented_secret(request)
    if secret is None:
        return Verdict(refusal=_challenge(stream_id, "This needs a viewing token: ?token=… in the URL, or HTTP "
                                                     "basic auth with the token as the password."))  # fmt: skip
    token = selectors.token_by_secret(secret)
    status, why, message = _refusal(token, stream_id)
    if status:
        logger.warning("Stream %s output refused to %s: %s", stream_id, address, why)
        _failure_record(address, stream_id)
        return Verdict(refusal=_challenge(stream_id, message) if status == 401 else plain(status, message))
    services.token_mark_used(token=token)
    return Verdict(token=token)


def token_still_valid(token_id: int) -> bool:
    """For an open MJPEG connection: its token has not been revoked (or deleted with its stream) since."""
    return ViewingToken.objects.filter(pk=token_id, revoked_at__isnull=True).exists()


def _refusal(token: ViewingToken | None, stream_id: int) -> tuple[int, str, str]:
    """(status, why for the log, what the client is told); status 0: accepted."""
    if token is None:
        return 401, "unknown token", "Unknown viewing token."
    if token.stream_id != stream_id:
        return 403, f"token {token.pk} is for stream {token.stream_id}", "This viewing token is for another stream."
    if token.revoked_at is not None:
        return 403, f"token {token.pk} “{token.name}” is revoked", "This viewing token has been revoked."
    return 0, "", ""


def _challenge(stream_id: int, message: str) -> HttpResponse:
    return plain(401, message, WWW_Authenticate=f'Basic realm="StreamVision stream {stream_id}"')


def _locked_for_s(address: str) -> int:
    try:
        return throttle.locked_for_s(address)
    except redis.RedisError as error:  # the token is still checked; only the throttle is off meanwhile
        logger.warning("Output throttle unavailable: %s", error)
        return 0


def _failure_record(address: str, stream_id: int) -> None:
    try:
        throttle.failure_record(address, stream_id=stream_id)
    except redis.RedisError as error:
        logger.warning("Output throttle unavailable: %s", error)
