"""/ws/streams/ for the wall: {"type": "changed", "stream_id", "change"} (streams.messages.BrowserChangedMessage)
whenever a stream is created, updated or deleted, wherever that happened."""

import json

from accounts.sockets import GroupListenerConsumer
from streams.messages import STREAMS_GROUP, BrowserChangedMessage, StreamsChangedMessage


class StreamListConsumer(GroupListenerConsumer):
    group = STREAMS_GROUP

    async def streams_changed(self, event: StreamsChangedMessage) -> None:
        payload = BrowserChangedMessage(type="changed", stream_id=event.get("stream_id"), change=event.get("change"))
        await self.send(text_data=json.dumps(payload))
