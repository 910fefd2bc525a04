"""The annotated JPEGs the worker already encodes for the stream page, taken by an HTTP client: no extra encoding.

A FrameFeed is one viewer of (stream, size), as streams.consumers.StreamConsumer is one: it joins the channel-layer
group `streams.viewers.frame_group(stream, size)`, registers as a viewer in Redis (workers encode only the sizes
somebody watches; a stream nobody watches encodes nothing), renews both every REFRESH_S (a restarted Redis forgets
group memberships) and undoes both on close. Frames arrive as streams.messages.FrameMessage.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from streams import viewers
from streams.messages import FrameMessage

logger = logging.getLogger(__name__)


async def _off_loop(func: Callable[..., object], **kwargs: object) -> None:
    # Redis is reached off the event loop (redis-py is blocking), as the WebSocket consumer does.
    await sync_to_async(func, thread_sensitive=False)(**kwargs)


class FrameFeed:
    def __init__(self, stream_id: int, size: viewers.Size) -> None:
        self.stream_id, self.size = stream_id, size
        self.group = viewers.frame_group(stream_id, size)
        self.layer = get_channel_layer()
        self.channel = ""
        self._receiving: asyncio.Future | None = None
        self._renew_at = 0.0

    async def open(self) -> "FrameFeed":
        # The default prefix on purpose: the process's channels then share one real channel in Redis, which
        # whoever holds channels_redis's receive lock reads for all of them; a prefix of our own would make the
        # stream page's sockets in this Daphne wait for our blocking reads (and ours for theirs).
        self.channel = await self.layer.new_channel()
        await self._register()
        return self

    async def next_frame(self, timeout_s: float) -> FrameMessage | None:
        """The next frame of this size, or None after `timeout_s`. One receive stays pending between calls:
        cancelling a channel-layer receive to look at a clock could lose a frame (testbed.live_stack)."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            if time.monotonic() >= self._renew_at:
                await self._register()
            if self._receiving is None:
                self._receiving = asyncio.ensure_future(self.layer.receive(self.channel))
            done, _ = await asyncio.wait({self._receiving}, timeout=min(left, self._renew_at - time.monotonic()))
            if not done:
                continue
            message = await self._take_received() or {}
            if message.get("type") == "stream.frame" and message.get("size", "full") == self.size:
                return message  # type: ignore[return-value]
        return None

    async def _take_received(self) -> dict | None:
        receiving, self._receiving = self._receiving, None
        try:
            return receiving.result()  # type: ignore[union-attr]
        except Exception as error:  # noqa: BLE001 - Redis hiccup: the client waits for frames instead of failing
            logger.warning("Stream %s output: could not receive a frame: %s", self.stream_id, error)
            await asyncio.sleep(0.5)
            return None

    async def close(self) -> None:
        """Leave the group and unregister; never raises (it runs when a client has gone away)."""
        if self._receiving is not None:
            self._receiving.cancel()
            self._receiving = None
        if not self.channel:
            return
        with contextlib.suppress(Exception):
            await self.layer.group_discard(self.group, self.channel)
        with contextlib.suppress(Exception):
            await _off_loop(viewers.viewer_remove, stream_id=self.stream_id, size=self.size, viewer=self.channel)

    async def _register(self) -> None:
        self._renew_at = time.monotonic() + viewers.REFRESH_S
        try:
            await self.layer.group_add(self.group, self.channel)
            await _off_loop(viewers.viewer_add, stream_id=self.stream_id, size=self.size, viewer=self.channel)
        except Exception as error:  # noqa: BLE001 - Redis down: frames stop; the next renewal tries again
            logger.warning("Stream %s output: could not register as a viewer: %s", self.stream_id, error)
            self._renew_at = time.monotonic() + 1.0
