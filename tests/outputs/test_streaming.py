"""Issue 22 (outputs, first slice): MJPEG and the still image take the JPEGs a worker publishes on the channel
layer, as a viewer of the stream: registered while a client is connected, unregistered when it goes away. Here
the worker is a stand-in that publishes real JPEGs on the real channel layer (the embedded Valkey) only while
somebody watches, as the sink does; the live test (test_live.py) runs the real worker and Daphne."""

import asyncio

import cv2
import numpy as np
import pytest
from asgiref.sync import async_to_sync, sync_to_async

from outputs import services, views
from outputs.models import ViewingToken
from streams import viewers
from tests.outputs.conftest import AsgiClient, basic, publish_frames

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_connection_closing")]


def _parts(body: bytes) -> list[bytes]:
    """The JPEGs of a multipart/x-mixed-replace body, as a player splits it."""
    boundary = f"--{views.BOUNDARY}\r\n".encode()
    parts = []
    for chunk in body.split(boundary)[1:]:
        head, _, rest = chunk.partition(b"\r\n\r\n")
        lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        length = int(lengths[0])
        if len(rest) >= length:
            parts.append(rest[:length])
    return parts


def _watching(stream_id: int) -> dict:
    return viewers.viewer_counts(stream_id=stream_id)


@pytest.mark.parametrize("how", ["url", "basic"])
def test_mjpeg_streams_the_published_frames_while_registered_and_unregisters_when_the_client_leaves(
    stream, token_of, running, how
):
    """GIVEN a running stream, its token, and a worker that publishes only while somebody watches WHEN a player
    opens the MJPEG URL (token in the URL, or as the basic-auth password) THEN it gets multipart JPEG parts that
    decode, the stream has exactly one full-size viewer meanwhile; WHEN the player goes away THEN the viewer is
    gone at once (not after the registration's TTL)."""
    running(stream)
    secret = token_of(stream)
    query, headers = (f"token={secret}", {}) if how == "url" else ("", {"Authorization": basic(secret)})
    assert _watching(stream.pk) == {"full": 0, "tile": 0}

    async def scenario() -> tuple[bytes, dict, dict, dict]:
        worker = asyncio.create_task(publish_frames(stream.pk))
        player = await AsgiClient(f"/streams/{stream.pk}/mjpeg", query, headers).start()
        body = await player.read_until(f"--{views.BOUNDARY}".encode(), count=4)
        during = _watching(stream.pk)
        await player.go_away()
        after = _watching(stream.pk)
        worker.cancel()
        return body, player.headers, during, after

    body, headers, during, after = async_to_sync(scenario)()
    assert headers["content-type"] == f"multipart/x-mixed-replace; boundary={views.BOUNDARY}"
    assert headers["cache-control"] == "no-store"
    parts = _parts(body)
    assert len(parts) >= 3
    image = cv2.imdecode(np.frombuffer(parts[0], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (72, 128, 3)
    assert during == {"full": 1, "tile": 0}
    assert after == {"full": 0, "tile": 0}


def test_mjpeg_at_tile_size_with_an_fps_cap_drops_frames_to_obey_it(stream, token_of, running):
    """GIVEN a worker publishing tiles at 20 fps WHEN a player asks for size=tile&fps=2 for about 2 s THEN it is a
    tile viewer (not a full-size one) and gets about 2 frames a second, not 20."""
    running(stream)
    secret = token_of(stream)

    async def scenario() -> tuple[bytes, dict]:
        worker = asyncio.create_task(publish_frames(stream.pk, size="tile", every_s=0.05))
        player = await AsgiClient(f"/streams/{stream.pk}/mjpeg", f"token={secret}&size=tile&fps=2").start()
        await player.read_until(f"--{views.BOUNDARY}".encode(), count=1)
        watching = _watching(stream.pk)
        await asyncio.sleep(2.0)
        body = bytes(player.body)
        await player.go_away()
        worker.cancel()
        return body, watching

    body, watching = async_to_sync(scenario)()
    assert watching == {"full": 0, "tile": 1}
    assert 3 <= len(_parts(body)) <= 7  # ~2/s over ~2.2 s (plus the first), far from the 40+ published


def test_a_revoked_token_ends_an_open_mjpeg_connection(stream, token_of, running, monkeypatch):
    """GIVEN a player watching MJPEG WHEN its token is revoked THEN the response ends within the re-check interval
    and the viewer is unregistered."""
    monkeypatch.setattr(views, "RECHECK_S", 0.3)
    running(stream)
    secret = token_of(stream)

    async def scenario() -> dict:
        worker = asyncio.create_task(publish_frames(stream.pk))
        player = await AsgiClient(f"/streams/{stream.pk}/mjpeg", f"token={secret}").start()
        await player.read_until(f"--{views.BOUNDARY}".encode(), count=2)
        token = await ViewingToken.objects.aget(stream=stream)
        await sync_to_async(services.token_revoke)(token=token, actor="admin")
        await asyncio.wait_for(player.ended.wait(), 5)
        await player.go_away()
        worker.cancel()
        return _watching(stream.pk)

    assert async_to_sync(scenario)() == {"full": 0, "tile": 0}


@pytest.mark.parametrize("how", ["url", "basic"])
def test_a_snapshot_registers_for_one_frame_when_nobody_watches_and_returns_it(stream, token_of, running, how):
    """GIVEN a running stream nobody watches (its worker publishes nothing) WHEN the still image is asked for THEN
    the view registers as a viewer, gets the frame the worker then publishes, answers it as image/jpeg, and is
    no viewer any more."""
    running(stream)
    secret = token_of(stream)
    query, headers = (f"token={secret}", {}) if how == "url" else ("", {"Authorization": basic(secret)})

    async def scenario() -> AsgiClient:
        worker = asyncio.create_task(publish_frames(stream.pk, shade=200))
        player = await AsgiClient(f"/streams/{stream.pk}/snapshot.jpg", query, headers).start()
        await asyncio.wait_for(player.ended.wait(), 10)
        worker.cancel()
        return player

    player = async_to_sync(scenario)()
    assert player.status == 200 and player.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(bytes(player.body), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (72, 128, 3) and abs(int(image[60, 100].mean()) - 200) < 10
    assert _watching(stream.pk) == {"full": 0, "tile": 0}


def test_a_snapshot_with_no_frame_in_time_is_a_clear_503(client, settings, stream, token_of, running):
    """GIVEN a running stream whose worker sends nothing WHEN the still image is asked for THEN after the wait a
    503 says no frame came in that time, with Retry-After; the viewer it registered is gone."""
    settings.OUTPUT_SNAPSHOT_WAIT_S = 0.4
    running(stream)
    response = client.get(f"/streams/{stream.pk}/snapshot.jpg", {"token": token_of(stream)})
    assert response.status_code == 503 and response["Retry-After"]
    assert "No frame from stream" in response.content.decode() and b"\xff\xd8" not in response.content
    assert _watching(stream.pk) == {"full": 0, "tile": 0}


def test_a_stopped_stream_gives_no_picture_at_once_and_raw_frames_are_not_served(client, stream, token_of, running):
    """GIVEN a stopped stream WHEN its MJPEG or still image is asked for THEN 503 at once saying it is stopped;
    GIVEN a running one WHEN ?raw=1 is asked for THEN 501: the frame path publishes annotated JPEGs only."""
    secret = token_of(stream)
    for endpoint in ("mjpeg", "snapshot.jpg"):
        response = client.get(f"/streams/{stream.pk}/{endpoint}", {"token": secret})
        assert response.status_code == 503 and "stopped" in response.content.decode()
    running(stream)
    raw = client.get(f"/streams/{stream.pk}/snapshot.jpg", {"token": secret, "raw": "1"})
    assert raw.status_code == 501 and "annotated" in raw.content.decode()
