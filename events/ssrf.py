"""Where webhooks may go. Only http(s) URLs, and no target that resolves to a loopback, link-local, private or
otherwise non-public address unless an admin allowed it for the endpoint (a server-side request forgery guard).
The address is checked again at every send, and the connection goes to the address that was checked."""

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from django.core.exceptions import ValidationError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefusedError(ValueError):
    pass


def parse_webhook_url(url: str) -> SplitResult:
    """The URL's parts; ValidationError unless it is an http(s) URL with a host and no credentials."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValidationError({"url": "A webhook URL must start with http:// or https://."})
    if not parts.hostname:
        raise ValidationError({"url": "A webhook URL needs a host name."})
    if parts.username or parts.password:
        raise ValidationError({"url": "Put no credentials in the URL: receivers check the signature instead."})
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as error:
        raise ValidationError({"url": f"Bad port: {error}."}) from None
    return parts


def is_public(address: Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_global and not address.is_multicast


def resolve(parts: SplitResult) -> list[Address]:
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def allowed_address(parts: SplitResult, *, allow_private: bool) -> Address:
    """The address to connect to; TargetRefusedError if the host does not resolve or resolves to a refused one."""
    try:
        addresses = resolve(parts)
    except (OSError, UnicodeError) as error:
        raise TargetRefusedError(f"cannot resolve {parts.hostname}: {error}") from None
    refused = [address for address in addresses if not is_public(address)]
    if refused and not allow_private:
        raise TargetRefusedError(
            f"{parts.hostname} resolves to {refused[0]}, a loopback, link-local or private address; "
            "an admin can allow private targets for this endpoint"
        )
    return addresses[0]


def check_target(url: str, *, allow_private: bool) -> None:
    """For a form or the API: ValidationError for a bad URL or a refused address. A host that does not resolve
    now is accepted (DNS may be down); every send checks again."""
    parts = parse_webhook_url(url)
    try:
        allowed_address(parts, allow_private=allow_private)
    except TargetRefusedError as error:
        if "cannot resolve" not in str(error):
            raise ValidationError({"url": str(error)}) from None
