"""The soak's clients of the product: one WebSocket viewer per stream, as a wall tile is one (it acks each frame,
reconnects like the page does, and keeps the stream's latest metrics), and a webhook receiver that counts what
the deliverer sends, by event id. The receiver does not check signatures: the events tests do; here it counts."""

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stack.processes import free_port

ACK = json.dumps({"type": "ack"})


@dataclass
class ViewerState:
    stream_id: int
    frames: int = 0  # frames received on the WebSocket
    connects: int = 0
    latest: tuple[float, int] | None = None  # (at, frames_total) of the latest metrics message


@dataclass
class Viewers:
    """One viewer per stream on one event loop in a thread of its own."""

    ws_base: str
    headers: dict[str, str]
    states: dict[int, ViewerState] = field(default_factory=dict)
    size: str = "tile"
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, stream_ids: list[int]) -> "Viewers":
        self.states = {sid: ViewerState(sid) for sid in stream_ids}
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True, name="soak-viewers")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    async def _run(self) -> None:
        await asyncio.gather(*(self._view(state) for state in self.states.values()))

    async def _view(self, state: ViewerState) -> None:
        import websockets

        url = f"{self.ws_base}/ws/streams/{state.stream_id}/?size={self.size}"
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # a dropped connection: open it again, as the page does
                async with websockets.connect(url, additional_headers=self.headers, open_timeout=5,
                                              max_size=8 * 2**20) as ws:  # fmt: skip
                    state.connects += 1
                    await ws.send(ACK)
                    await self._receive(ws, state)
            await asyncio.sleep(1.0)

    async def _receive(self, ws, state: ViewerState) -> None:  # noqa: ANN001 - a websockets connection
        while not self._stop.is_set():
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            if isinstance(message, bytes):
                state.frames += 1
                await ws.send(ACK)
            elif (payload := json.loads(message)).get("type") == "metrics":
                state.latest = (float(payload["at"]), int(payload["frames_total"]))


@dataclass
class WebhookCounter:
    """An HTTP server on 127.0.0.1 that answers every POST with 204 and counts it."""

    port: int = field(default_factory=free_port)
    requests: int = 0
    message_ids: set[str] = field(default_factory=set)  # webhook-id: the same on every retry of one message
    event_ids: set[str] = field(default_factory=set)  # data.id of event.* messages
    types: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "WebhookCounter":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="soak-webhooks").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def count(self, message_id: str, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        kind = str(body.get("type", "?"))
        with self._lock:
            self.requests += 1
            self.message_ids.add(message_id)
            self.types[kind] = self.types.get(kind, 0) + 1
            if kind.startswith("event.") and isinstance(body.get("data"), dict):
                self.event_ids.add(str(body["data"].get("id")))

    def received_events(self) -> set[str]:
        with self._lock:
            return set(self.event_ids)


def _handler(counter: WebhookCounter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as most receivers answer

        def do_POST(self) -> None:  # noqa: N802 - http.server's interface
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            counter.count(self.headers.get("webhook-id", ""), raw)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    return Handler


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 1.0) -> bool:
    """Poll until `predicate` holds or `timeout` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
