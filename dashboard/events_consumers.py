"""/ws/events/ for logged-in users: {"type": "event", "event_id", "stream_id", "change", "active_alerts"} whenever
an event starts, changes, ends or is acknowledged (events.notify sends them to the events group). The events
page and the stream page reload their lists; the wall sets its tiles' alert badges."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.roles import Role
from dashboard.consumers import refused
from events.messages import EVENTS_GROUP, EventChangedMessage


class EventsConsumer(AsyncWebsocketConsumer):
    required_role = Role.VIEWER

    async def connect(self) -> None:
        self.joined = False
        if (code := await refused(self)) is not None:
            await self.close(code=code)
            return
        await self.channel_layer.group_add(EVENTS_GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(EVENTS_GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        return  # nothing to say to us

    async def events_changed(self, event: EventChangedMessage) -> None:
        payload = {key: event.get(key) for key in ("event_id", "stream_id", "change", "active_alerts")}
        await self.send(text_data=json.dumps({"type": "event", **payload}))
