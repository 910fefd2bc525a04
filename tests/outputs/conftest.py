"""Fixtures of the outputs tests: a stream with viewing tokens, a worker stand-in that publishes real JPEGs on the
real channel layer (the embedded Valkey), and an ASGI client that can go away mid-response, as a player does."""

import asyncio
import base64
import contextlib
from collections.abc import Callable, Iterator

import cv2
import numpy as np
import pytest
from channels.layers import get_channel_layer
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from core import redis_keys
from outputs import services
from streams import control, viewers
from streams.messages import FrameMessage
from streams.models import Stream


def jpeg(shade: int = 90) -> bytes:
    image = np.full((72, 128, 3), shade, np.uint8)
    cv2.rectangle(image, (20, 10), (60, 50), (0, 255, 0), 2)
    return cv2.imencode(".jpg", image)[1].tobytes()


def basic(secret: str, user: str = "vlc") -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


@pytest.fixture(autouse=True)
def forget_output_keys() -> Iterator[None]:
    """Throttle counters and viewer registrations outlive a test's database rollback: start and end clean."""
    client = control.redis_client()

    def forget() -> None:
        for pattern in (redis_keys.output_failures_key("*"), redis_keys.viewers_key("*", "*")):  # type: ignore[arg-type]
            keys = list(client.scan_iter(pattern, count=1000))
            if keys:
                client.delete(*keys)

    forget()
    yield
    forget()


@pytest.fixture
def stream(clip) -> Stream:
    from streams import services as stream_services

    return stream_services.stream_create(name="Gate", source=clip, start=False)


@pytest.fixture
def other_stream(clip) -> Stream:
    from streams import services as stream_services

    return stream_services.stream_create(name="Yard", source=clip, start=False)


@pytest.fixture
def running() -> Callable[[Stream], Stream]:
    """Mark a stream as running, held by a (pretend) worker's lease, as the status a page shows needs."""

    def mark(stream: Stream) -> Stream:
        Stream.objects.filter(pk=stream.pk).update(status="running", desired_state="running")
        control.redis_client().set(redis_keys.stream_key(stream.pk, "lease"), "test-worker", ex=60)
        stream.refresh_from_db()
        return stream

    return mark


@pytest.fixture
def token_of(admin_user) -> Callable[..., str]:
    """A viewing token's secret for a stream (revoked if asked)."""

    def make(stream: Stream, name: str = "VLC", revoked: bool = False) -> str:
        token, secret = services.token_create(stream=stream, name=name, created_by=admin_user, actor="admin")
        if revoked:
            services.token_revoke(token=token, actor="admin")
        return secret

    return make


@pytest.fixture
def no_connection_closing() -> Iterator[None]:
    """Django's ASGI handler closes database connections around a request, which would end the test's
    transaction; its test clients switch that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


async def publish_frames(stream_id: int, size: str = "full", every_s: float = 0.05, only_if_watched: bool = True,
                         shade: int = 90) -> None:  # fmt: skip
    """What a worker's sink does: a JPEG per frame to the size's group, only while somebody watches that size."""
    layer = get_channel_layer()
    for frame_id in range(100000):
        watched = viewers.viewer_counts(stream_id=stream_id)[size] > 0  # type: ignore[index]
        if watched or not only_if_watched:
            message = FrameMessage(type="stream.frame", stream_id=stream_id, jpeg=jpeg(shade), frame_id=frame_id,
                                   captured_at=1.7e9 + frame_id, origin="test-worker", size=size)  # fmt: skip
            await layer.group_send(viewers.frame_group(stream_id, size), message)  # type: ignore[arg-type]
        await asyncio.sleep(every_s)


class AsgiClient:
    """One GET through the product's real ASGI application (config.asgi: what Daphne runs), whose client can
    disconnect at any time: the ASGI `http.disconnect` Daphne sends when a player goes away."""

    def __init__(self, path: str, query: str = "", headers: dict[str, str] | None = None,
                 address: str = "10.9.8.7") -> None:  # fmt: skip
        encoded = [(b"host", b"testserver"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]
        self.scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                      "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                      "root_path": "", "headers": encoded, "client": (address, 40000),
                      "server": ("testserver", 80)}  # fmt: skip
        self.status, self.headers, self.body = 0, {}, bytearray()
        self.started, self.ended, self._gone = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._asked = False
        self.task: asyncio.Task | None = None

    async def start(self) -> "AsgiClient":
        from config.asgi import application

        self.task = asyncio.create_task(application(self.scope, self._receive, self._send))
        await asyncio.wait_for(self.started.wait(), 10)
        return self

    async def read_until(self, marker: bytes, count: int = 1, timeout_s: float = 10) -> bytes:
        async with asyncio.timeout(timeout_s):
            while self.body.count(marker) < count and not self.ended.is_set():
                await asyncio.sleep(0.02)
        return bytes(self.body)

    async def go_away(self) -> None:
        self._gone.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 10)  # type: ignore[arg-type]

    async def _receive(self) -> dict:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            self.started.set()
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                self.ended.set()
