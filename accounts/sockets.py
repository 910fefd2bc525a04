"""WebSockets gated by role, as pages and the API are (accounts.access): the close codes a browser is told,
and a socket that only listens to one channel-layer group."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.access import ws_allowed
from accounts.roles import Role

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
