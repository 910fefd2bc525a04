"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 that answers from a script (status codes,
delays, headers), checks Standard Webhooks signatures, de-duplicates on webhook-id as a receiver should, and can
go down and come back on the same port."""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from stack.processes import free_port


@dataclass
class Received:
    at: float  # time.time() when the request arrived
    msg_id: str
    headers: dict[str, str]
    body: dict
    signature_ok: bool
    answered: int


@dataclass
class Reply:
    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Receiver:
    secret: str = ""
    port: int = field(default_factory=free_port)
    script: list[Reply] = field(default_factory=list)  # answers in order; then 200
    requests: list[Received] = field(default_factory=list)
    on_request: Callable[[Received], None] | None = None
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def unique(self) -> dict[str, Received]:
        """What a de-duplicating receiver keeps: the first valid request per webhook-id, in arrival order."""
        kept: dict[str, Received] = {}
        with self._lock:
            for request in self.requests:
                if request.signature_ok and 200 <= request.answered < 300 and request.msg_id not in kept:
                    kept[request.msg_id] = request
        return kept

    def _answer(self, headers: dict[str, str], raw: bytes) -> Reply:
        with self._lock:
            reply = self.script.pop(0) if self.script else Reply()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        signature_ok = _verified(self.secret, raw, headers)
        received = Received(time.time(), headers.get("webhook-id", ""), headers, body, signature_ok, reply.status)
        with self._lock:
            self.requests.append(received)
        if self.on_request is not None:
            self.on_request(received)
        time.sleep(reply.delay_s)
        return reply


def _verified(secret: str, raw: bytes, headers: dict[str, str]) -> bool:
    if not secret:
        return False
    try:
        Webhook(secret).verify(raw, headers)
        return True
    except WebhookVerificationError:
        return False


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's interface
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            reply = receiver._answer({k.lower(): v for k, v in self.headers.items()}, raw)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    return Handler
