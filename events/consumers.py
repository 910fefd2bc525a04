"""/ws/events/ for logged-in users: {"type": "event", "event_id", "stream_id", "change", "active_alerts"} whenever
an event starts, changes, ends or is acknowledged (events.notify sends them to the events group). The events
page and the stream page reload their lists; the wall sets its tiles' alert badges."""

import json

from accounts.sockets import GroupListenerConsumer
from events.messages import EVENTS_GROUP, EventChangedMessage


class EventsConsumer(GroupListenerConsumer):
    group = EVENTS_GROUP

    async def events_changed(self, event: EventChangedMessage) -> None:
        payload = {key: event.get(key) for key in ("event_id", "stream_id", "change", "active_alerts")}
        await self.send(text_data=json.dumps({"type": "event", **payload}))
