"""Fixtures of the streams tests: a media file, a stream in any state, the run tasks the reconciler queued,
and an inbox on the channel layer that collects what the web consumers would be told."""

from collections.abc import Callable, Iterator

import pytest
from asgiref.sync import async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

from streams import control, reconciler, services
from streams.messages import STREAMS_GROUP, stream_group
from streams.models import Stream


@pytest.fixture
def dispatched(monkeypatch) -> list[tuple[int, str]]:
    """The Celery broker is real elsewhere; here we only record which streams the reconciler queued."""
    queued: list[tuple[int, str]] = []
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: queued.append((stream_id, queue)))
    return queued


@pytest.fixture
def make_stream(clip) -> Callable[..., Stream]:
    """A stored stream with the given fields (status, desired state, …), no worker and no queued task."""

    def make(**fields) -> Stream:
        stream = services.stream_create(name=fields.pop("name", "cam"), source=clip, start=False)
        Stream.objects.filter(pk=stream.pk).update(**fields)
        stream.refresh_from_db()
        control.release_dispatch(stream.pk)
        return stream

    return make


class Inbox:
    """A channel in a stream's group and in the streams list's group, as a web consumer has (on a channel
    layer of its own: the services' layer sends from other event loops)."""

    def __init__(self, stream_id: int) -> None:
        self._layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        self._channel = async_to_sync(self._layer.new_channel)()
        self._groups = (stream_group(stream_id), STREAMS_GROUP)
        for group in self._groups:
            async_to_sync(self._layer.group_add)(group, self._channel)

    def close(self) -> None:
        for group in self._groups:
            async_to_sync(self._layer.group_discard)(group, self._channel)

    def take(self) -> list[dict]:
        """Every message sent so far, oldest first: a marker sent now comes back after all of them."""
        return async_to_sync(self._take)()

    async def _take(self) -> list[dict]:
        await self._layer.send(self._channel, {"type": "test.marker"})
        messages = []
        while (message := await self._layer.receive(self._channel))["type"] != "test.marker":
            messages.append(message)
        return messages


@pytest.fixture
def inbox() -> Iterator[Callable[[int], Inbox]]:
    opened: list[Inbox] = []

    def open_inbox(stream_id: int) -> Inbox:
        opened.append(Inbox(stream_id))
        return opened[-1]

    yield open_inbox
    for each in opened:
        each.close()
