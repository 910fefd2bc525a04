"""WebSockets: each route declares its role and refuses callers below it (issue 13, finding 3), and a handshake
from another port of an allowed host is refused (finding 8). In-process, through the real ASGI application."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.test import Client

from accounts.roles import Role
from accounts.sockets import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from config.routing import websocket_urlpatterns
from config.ws_origin import origin_allowed
from streams import services

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "127.0.0.1:8000"


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _connect(path: str, cookie: str = "", origin: str = f"http://{HOST}") -> tuple[bool, int | None]:
    from config.asgi import application

    async def attempt() -> tuple[bool, int | None]:
        headers = [(b"host", HOST.encode()), (b"origin", origin.encode())]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, code

    return async_to_sync(attempt)()


def _user(django_user_model, role: Role | None):
    user = django_user_model.objects.create_user(f"ws-{role or 'none'}", password="pw-123456")
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


def test_every_websocket_route_answers_each_role_as_declared(django_user_model):
    """GIVEN every WebSocket route (read from the routing, so later ones are included) and the role its consumer
    declares WHEN opened anonymously, by a user with no role and by each role THEN anonymous callers are closed
    with 4401, callers below the role with 4403, the others connect."""
    stream = services.stream_create(name="cam", source="0", start=False)
    cookies = {role: _cookie(_user(django_user_model, role)) for role in (None, *Role)}
    for route in websocket_urlpatterns:
        needed = route.callback.consumer_class.required_role
        assert isinstance(needed, Role), route
        path = "/" + str(route.pattern).replace("<int:stream_id>", str(stream.pk))
        assert _connect(path) == (False, CLOSE_UNAUTHENTICATED), path
        for role, cookie in cookies.items():
            connected, code = _connect(path, cookie)
            if role is not None and role.covers(needed):
                assert connected, (path, role, code)
            else:
                assert (connected, code) == (False, CLOSE_FORBIDDEN), (path, role)


def test_a_websocket_from_another_port_of_an_allowed_host_is_refused(django_user_model):
    """GIVEN a viewer's session WHEN the stream list socket is opened from a page on another port of the same
    host (another app, a dev server) THEN the handshake is refused; from the site's own origin it opens."""
    cookie = _cookie(_user(django_user_model, Role.VIEWER))
    assert _connect("/ws/streams/", cookie, origin=f"http://{HOST}")[0] is True
    refused, code = _connect("/ws/streams/", cookie, origin="http://127.0.0.1:9999")
    assert refused is False and code not in (CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN)


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://localhost", "localhost:80", True),
        ("https://localhost", "localhost", True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://evil.example:8000", "evil.example:8000", False),  # not an allowed host
        ("http://127.0.0.1", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
        ("", "127.0.0.1:8000", False),
        ("http://127.0.0.1:99999", "127.0.0.1:8000", False),
    ],
)
def test_origin_must_be_the_site_itself(origin, host, allowed):
    """GIVEN an Origin and the Host a browser sent WHEN checked THEN only the same host and port (default ports
    understood), on an allowed host, passes."""
    assert origin_allowed(origin, host) is allowed
