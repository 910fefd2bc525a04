"""WebSockets for logged-in users with a role (each consumer's `required_role`).

/ws/streams/<id>/?size=full|tile|none: one stream's annotated JPEG frames (binary; none: no frames) and
metrics/status/analytics (JSON).
/ws/streams/: {"type": "changed", "stream_id", "change"} whenever a stream is created, updated or deleted.

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
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.roles import Role
from analytics.messages import AnalyticsMessage
from dashboard.access import ws_allowed
from streams import lifecycle, selectors, viewers
from streams.messages import STREAMS_GROUP, FrameMessage, MetricsMessage, StatusMessage, stream_group
from streams.models import Stream

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


def _is_authenticated(scope: dict) -> bool:
    user = scope.get("user")
    return user is not None and user.is_authenticated


async def refused(consumer: AsyncWebsocketConsumer) -> int | None:
    """The close code for a user who may not open `consumer` (its `required_role`), or None."""
    if not _is_authenticated(consumer.scope):
        return CLOSE_UNAUTHENTICATED
    allowed = await database_sync_to_async(ws_allowed)(consumer.scope, consumer.required_role)
    return None if allowed else CLOSE_FORBIDDEN


def status_payload(stream: Stream) -> dict:
    return {
        "type": "status",
        "status": stream.status,
        "reason": stream.status_reason,
        "desired_state": stream.desired_state,
        "retry_in_s": getattr(stream, "retry_in_s", None),
    }


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
        await self.send_json(status_payload(stream))
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
        if message.get("type") == "frames":
            await self._switch_frames(message.get("on") is True)
        elif message.get("type") == "ack":
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

    async def stream_analytics(self, event: AnalyticsMessage) -> None:
        """Live counters of the stream's zones and lines (analytics/messages.py), about once a second."""
        await self.send_json({**{k: v for k, v in event.items() if k not in ("type", "origin")}, "type": "analytics"})

    async def stream_status(self, event: StatusMessage) -> None:
        self.shown_status = event["status"]
        await self.send_json(
            {
                "type": "status",
                "status": event["status"],
                "reason": event["reason"],
                "desired_state": event.get("desired_state"),
                "retry_in_s": event.get("retry_in_s"),
            }
        )

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
            await self.send_json(status_payload(stream))

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


class GroupListenerConsumer(AsyncWebsocketConsumer):
    """A socket that only listens: once the user's role allows it, it joins `group` and relays what its
    subclass's handlers turn into JSON; the browser has nothing to say to it."""

    required_role = Role.VIEWER
    group = ""

    async def connect(self) -> None:
        self.joined = False
        if (code := await refused(self)) is not None:
            await self.close(code=code)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        return  # nothing to say to us


class StreamListConsumer(GroupListenerConsumer):
    """Tells the wall page which streams appeared, changed or disappeared, wherever that happened."""

    group = STREAMS_GROUP

    async def streams_changed(self, event: dict) -> None:
        payload = {"type": "changed", "stream_id": event.get("stream_id"), "change": event.get("change")}
        await self.send(text_data=json.dumps(payload))
