"""WebSockets for logged-in users with a role (each consumer's `required_role`).

/ws/streams/<id>/?size=full|tile|none: one stream's annotated JPEG frames (binary; none: no frames) and
metrics/status/analytics (JSON).

Flow control: after a frame the consumer waits for the browser's {"type": "ack"} before sending the next,
keeping only the newest frame meanwhile, so a slow browser never makes Daphne queue frames without bound.
Each frame consumer registers as a viewer of its stream and size (streams.viewers): workers encode only
the sizes somebody watches. The browser turns frames off ({"type": "frames", "on": false}) while nobody can
see them (a wall tile scrolled away, a hidden tab): the consumer then leaves the frame group and unregisters,
and metrics and status keep coming; {"on": true} turns them back on.
"""

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Mapping
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.roles import Role
from accounts.sockets import CLOSE_NOT_FOUND, refused
from streams import lifecycle, selectors, viewers
from streams.messages import (
    STATUS_SHOWN_KEYS,
    FrameMessage,
    MetricsMessage,
    StatusMessage,
    status_shown,
    stream_group,
)

logger = logging.getLogger(__name__)

class StreamConsumer(AsyncWebsocketConsumer):
    required_role = Role.VIEWER

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.pending_frame: bytes | None = None
        self.awaiting_ack = True  # the browser acks once when it is ready for the first frame
        self.refresher: asyncio.Task | None = None
        self.watcher: asyncio.Task | None = None
        self.shown_status = ""
        self.frames_on = False  # turned on below for a frame consumer, like a browser's {"on": true}
        self.registration_lock = asyncio.Lock()
        if (code := await refused(self)) is not None:
            await self.close(code=code)
            return
        self.stream_id = int(self.scope["url_route"]["kwargs"]["stream_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.size = viewers.parse_size((query.get("size") or ["full"])[0])
        stream = await database_sync_to_async(selectors.stream_get)(stream_id=self.stream_id)
        if stream is None:
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.channel_layer.group_add(stream_group(self.stream_id), self.channel_name)
        self.groups_joined.append(stream_group(self.stream_id))
        if self.size is not None:
            await self._switch_frames(True)
            self.refresher = asyncio.create_task(self._keep_registered())
        await self.accept()
        stream = await database_sync_to_async(selectors.stream_shown)(stream)
        self.shown_status = stream.status
        await self.send_json({"type": "status", **status_shown(stream)})
        self.watcher = asyncio.create_task(self._keep_true())

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
        if self.refresher is not None:
            self.refresher.cancel()
            await self._switch_frames(False)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "{}")
        except (json.JSONDecodeError, RecursionError):  # a JSON nested thousands deep is no message of ours
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "frames":  # streams.messages.BrowserFramesMessage
            await self._switch_frames(message.get("on") is True)
        elif message.get("type") == "ack":  # streams.messages.BrowserAckMessage
            self.awaiting_ack = False
            if self.pending_frame is not None:
                frame, self.pending_frame = self.pending_frame, None
                await self._send_frame(frame)

    async def stream_frame(self, event: FrameMessage) -> None:
        if self.size is None or not self.frames_on or event.get("size", "full") != self.size:
            return
        if self.awaiting_ack:
            self.pending_frame = event["jpeg"]  # only the newest waits; older ones are dropped
        else:
            await self._send_frame(event["jpeg"])

    async def stream_metrics(self, event: MetricsMessage) -> None:
        await self.send_json({**{k: v for k, v in event.items() if k not in ("type", "origin")}, "type": "metrics"})

    async def stream_analytics(self, event: Mapping[str, object]) -> None:
        """Live counters of the stream's zones and lines, about once a second: analytics.messages.AnalyticsMessage,
        relayed as it is (streams sits below analytics and does not import it)."""
        await self.send_json({**{k: v for k, v in event.items() if k not in ("type", "origin")}, "type": "analytics"})

    async def stream_status(self, event: StatusMessage) -> None:
        self.shown_status = event["status"]
        await self.send_json({"type": "status", **{key: event.get(key) for key in STATUS_SHOWN_KEYS}})

    async def _switch_frames(self, on: bool) -> None:
        if self.size is None or on == self.frames_on:
            return
        self.frames_on = on
        group = viewers.frame_group(self.stream_id, self.size)
        if on:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        else:
            self.pending_frame = None
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.remove(group)
        await self._sync_registration()

    async def _send_frame(self, jpeg: bytes) -> None:
        self.awaiting_ack = True
        await self.send(bytes_data=jpeg)

    async def send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))

    async def _keep_true(self) -> None:
        """Once a second: a stream shown as held by a worker whose lease is gone lost its worker, and is shown
        as such at once, not when the reconciler next steps it. Every REFRESH_S: join the groups again, which a
        restarted Redis has forgotten."""
        for tick in itertools.count(1):
            await asyncio.sleep(1.0)
            with contextlib.suppress(Exception):  # Redis down: try again on the next tick
                if tick % int(viewers.REFRESH_S) == 0:
                    for group in list(self.groups_joined):
                        await self.channel_layer.group_add(group, self.channel_name)
                if self.shown_status in lifecycle.HELD_STATUSES:
                    await self._show_if_worker_gone()

    async def _show_if_worker_gone(self) -> None:
        holder = await sync_to_async(selectors.stream_lease_holder, thread_sensitive=False)(stream_id=self.stream_id)
        if holder is not None:
            return
        stream = await database_sync_to_async(selectors.stream_get)(stream_id=self.stream_id)
        if stream is not None:
            stream = await database_sync_to_async(selectors.stream_shown)(stream)
            self.shown_status = stream.status
            await self.send_json({"type": "status", **status_shown(stream)})

    async def _keep_registered(self) -> None:
        while True:
            await asyncio.sleep(viewers.REFRESH_S)
            await self._sync_registration()

    async def _sync_registration(self) -> None:
        """Registered as a viewer exactly while frames are on; the lock keeps a refresh that was under way
        when frames went off from registering again afterwards."""
        async with self.registration_lock:
            await self._viewer_call(viewers.viewer_add if self.frames_on else viewers.viewer_remove)

    async def _viewer_call(self, func) -> None:  # noqa: ANN001 - viewer_add or viewer_remove
        # Redis is reached off the event loop; a failure only costs encoding precision, never the socket.
        with contextlib.suppress(Exception):
            await sync_to_async(func, thread_sensitive=False)(
                stream_id=self.stream_id, size=self.size, viewer=self.channel_name
            )
