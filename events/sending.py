"""Sending one message to one target: a signed webhook POST (to the address the SSRF guard checked, never
following redirects) or an MQTT publish; both answer a SendResult."""

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from events import signing, ssrf
from events.models import OutboxMessage, WebhookEndpoint
from events.outbox import iso
from events.retry import parse_retry_after

USER_AGENT = "StreamVision-Webhooks/1"


@dataclass(frozen=True)
class SendResult:
    ok: bool
    latency_ms: float
    code: int | None = None
    error: str = ""
    retry_after_s: float | None = None
    gone: bool = False  # 410: the receiver asks us to stop


def webhook_body(message: OutboxMessage) -> str:
    """{type, timestamp, data}: events carry the event as it is now (MQTT also carries it as it was)."""
    payload = message.payload
    data = payload["after"] if message.type.startswith("event.") else payload
    body = {"type": message.type, "timestamp": iso(message.created_at), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def webhook_send(*, endpoint: WebhookEndpoint, message: OutboxMessage, timeout_s: float) -> SendResult:
    started = time.perf_counter()
    try:
        parts = ssrf.parse_webhook_url(endpoint.url)
        address = ssrf.allowed_address(parts, allow_private=endpoint.allow_private)
    except Exception as error:  # noqa: BLE001 - a refused or bad target is this attempt's outcome
        return SendResult(ok=False, latency_ms=0.0, error=_describe(error))
    body = webhook_body(message)
    headers = {**signing.signed_headers(endpoint=endpoint, msg_id=message.msg_id, body=body, now=timezone.now()),
               "content-type": "application/json", "user-agent": USER_AGENT}  # fmt: skip
    connection = _connection(parts.scheme, parts.hostname, parts.port, str(address), timeout_s)
    try:
        connection.request("POST", _path(parts), body=body.encode(), headers=headers)
        response = connection.getresponse()
        response.read(65536)
    except (OSError, http.client.HTTPException) as error:
        return SendResult(ok=False, latency_ms=_since(started), error=_describe(error))
    finally:
        connection.close()
    return _result(response, _since(started), timezone.now())


def _result(response: http.client.HTTPResponse, latency_ms: float, now: datetime) -> SendResult:
    code = response.status
    if 200 <= code < 300:
        return SendResult(ok=True, latency_ms=latency_ms, code=code)
    retry_after = parse_retry_after(response.getheader("Retry-After"), now=now) if code in (429, 503) else None
    return SendResult(ok=False, latency_ms=latency_ms, code=code, error=f"HTTP {code} {response.reason}"[:300],
                      retry_after_s=retry_after, gone=code == 410)  # fmt: skip


def _path(parts: ssrf.SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _describe(error: Exception) -> str:
    messages = getattr(error, "messages", None)
    text = "; ".join(messages) if messages else str(error)
    return f"{type(error).__name__}: {text}"[:500]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address (a second DNS answer cannot redirect it), names the host in Host."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def _connection(scheme: str, host: str, port: int | None, address: str, timeout: float) -> http.client.HTTPConnection:
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    return kind(host, port, address, timeout)
