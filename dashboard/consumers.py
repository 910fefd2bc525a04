"""WebSocket /ws/streams/<id>/: annotated JPEG frames (binary) and metrics/status (JSON) to logged-in users.

Flow control: after a frame the consumer waits for the browser's {"type": "ack"} before sending the next,
keeping only the newest frame meanwhile, so a slow browser never makes Daphne queue frames without bound.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from streams import selectors
from streams.messages import FrameMessage, MetricsMessage, StatusMessage, stream_group

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class StreamConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = None
        self.pending_frame: bytes | None = None
        self.awaiting_ack = True  # the browser acks once when it is ready for the first frame
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        stream_id = int(self.scope["url_route"]["kwargs"]["stream_id"])
        stream = await database_sync_to_async(selectors.stream_get)(stream_id=stream_id)
        if stream is None:
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = stream_group(stream_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "status", "status": stream.status, "reason": stream.status_reason})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "{}")
        except json.JSONDecodeError:
            return
        if message.get("type") == "ack":
            self.awaiting_ack = False
            if self.pending_frame is not None:
                frame, self.pending_frame = self.pending_frame, None
                await self._send_frame(frame)

    async def stream_frame(self, event: FrameMessage) -> None:
        if self.awaiting_ack:
            self.pending_frame = event["jpeg"]
        else:
            await self._send_frame(event["jpeg"])

    async def stream_metrics(self, event: MetricsMessage) -> None:
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "metrics"})

    async def stream_status(self, event: StatusMessage) -> None:
        await self.send_json({"type": "status", "status": event["status"], "reason": event["reason"]})

    async def _send_frame(self, jpeg: bytes) -> None:
        self.awaiting_ack = True
        await self.send(bytes_data=jpeg)

    async def send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))
