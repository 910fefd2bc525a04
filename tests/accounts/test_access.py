import pytest
import websockets
from websockets.exceptions import InvalidStatus

from testbed.live_stack import run_async

pytestmark = pytest.mark.stack


def test_anonymous_http_is_refused(live_stack):
    """GIVEN no login WHEN pages and the API are requested THEN pages redirect to login and the API says 401/403."""
    import urllib.request

    with urllib.request.urlopen(live_stack.url + "/", timeout=5) as response:
        assert "/accounts/login/" in response.url
    assert live_stack.api("GET", "/api/streams/", token=False).status in (401, 403)
    assert live_stack.api("POST", "/api/streams/", {"name": "x", "source": "0"}, token=False).status in (401, 403)
    assert live_stack.api("GET", "/api/streams/", token="not-a-token").status in (401, 403)


def _connect(url: str, headers: dict) -> None:
    async def attempt() -> None:
        async with websockets.connect(url, additional_headers=headers, open_timeout=5) as ws:
            await ws.recv()

    run_async(attempt())


def test_anonymous_websocket_is_refused(live_stack):
    """GIVEN no session cookie WHEN a WebSocket to a stream is opened THEN the handshake is refused."""
    with pytest.raises(InvalidStatus) as error:
        _connect(f"{live_stack.ws_base}/ws/streams/1/", {"Origin": live_stack.url})
    assert error.value.response.status_code == 403


def test_websocket_from_a_foreign_origin_is_refused(live_stack):
    """GIVEN a logged-in cookie WHEN the WebSocket comes from another site's origin THEN it is refused."""
    cookie = live_stack.session_cookie()
    with pytest.raises(InvalidStatus):
        _connect(f"{live_stack.ws_base}/ws/streams/1/", {"Origin": "http://evil.example", "Cookie": cookie})


def test_anonymous_websocket_to_the_stream_list_is_refused(live_stack):
    """GIVEN no session cookie WHEN the wall's change feed (/ws/streams/) is opened THEN the handshake is refused."""
    with pytest.raises(InvalidStatus) as error:
        _connect(f"{live_stack.ws_base}/ws/streams/", {"Origin": live_stack.url})
    assert error.value.response.status_code == 403


@pytest.mark.parametrize("path", ["/system/", "/streams/1/tile/", "/streams/1/events/"])
def test_anonymous_pages_of_the_dashboard_go_to_login(live_stack, path):
    """GIVEN no login WHEN the system page or a page fragment is requested THEN the login page answers."""
    import urllib.request

    with urllib.request.urlopen(live_stack.url + path, timeout=5) as response:
        assert "/accounts/login/" in response.url
