"""WebSocket handshakes only from this site's own pages: the Origin must be the very host and port the browser
connected to (the Host header), on an allowed host, or one of CSRF_TRUSTED_ORIGINS (a proxy's public origin).
channels' AllowedHostsOriginValidator compares host names only, so a page on another port of the same host
(another web app, a dev server) could open a socket with the user's cookies."""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return ""


def origin_allowed(origin: str, host: str) -> bool:
    """True if `origin` (scheme://host[:port]) is the site itself (`host` as the browser sent it) or trusted."""
    if not origin or origin == "null":
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parts, served = urlsplit(origin), urlsplit(f"//{host}")
        origin_port, served_port = parts.port, served.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    default = 443 if parts.scheme == "https" else 80
    same = (parts.hostname, origin_port or default) == (served.hostname, served_port or default)
    return same and validate_host(parts.hostname, settings.ALLOWED_HOSTS)


class SameOriginValidator:
    """ASGI middleware for WebSockets: refuse (403 at the handshake) an Origin that is not this site's."""

    def __init__(self, application) -> None:  # noqa: ANN001 - an ASGI application
        self.application = application

    async def __call__(self, scope, receive, send):  # noqa: ANN001, ANN204 - ASGI
        if origin_allowed(_header(scope, b"origin"), _header(scope, b"host")):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
