"""What a stream source may be, and how it is shown without its secrets.

A source is one of: a webcam index ("0"), an rtsp(s):// or http(s):// URL, or a path to a file under
one of settings.STREAM_MEDIA_DIRS.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError

SourceKind = Literal["webcam", "network", "file"]
NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https")
MAX_WEBCAM_INDEX = 63
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


@dataclass(frozen=True)
class SourceRef:
    kind: SourceKind
    value: str

    @property
    def webcam_index(self) -> int:
        return int(self.value)


def parse_source(raw: str) -> SourceRef:
    """Classify and check a source string; raise ValidationError with a message a user can act on."""
    value = (raw or "").strip()
    if not value:
        raise ValidationError("Enter a source: a file path, an rtsp:// or http(s):// URL, or a webcam index.")
    if value.isascii() and value.isdigit():  # "²".isdigit() is true, and int() refuses it
        return _webcam(value)
    match = _SCHEME_RE.match(value)
    if match:
        return _network(value, match.group(1).lower())
    if "://" in value or ":" in value.split("/")[0]:
        raise ValidationError(f"“{redact_source(value)}” is not a valid source: use rtsp://, rtsps://, http:// or https://.")
    return _file(value)


def _webcam(value: str) -> SourceRef:
    if int(value) > MAX_WEBCAM_INDEX:
        raise ValidationError(f"Webcam index must be between 0 and {MAX_WEBCAM_INDEX}.")
    return SourceRef("webcam", str(int(value)))


def _network(value: str, scheme: str) -> SourceRef:
    if scheme not in NETWORK_SCHEMES:
        raise ValidationError(
            f"Unsupported scheme “{scheme}://”: use one of {', '.join(s + '://' for s in NETWORK_SCHEMES)}."
        )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"Malformed URL: {error}.") from None
    if not parts.hostname:
        raise ValidationError("The URL has no host name.")
    if port == 0:
        raise ValidationError("The URL's port must be between 1 and 65535.")
    if any(ch.isspace() for ch in value):
        raise ValidationError("The URL must not contain spaces.")
    return SourceRef("network", value)


def _file(value: str) -> SourceRef:
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise ValidationError("A file source must be an absolute path (or a URL or webcam index).")
    resolved = path.resolve()
    allowed = [Path(d).resolve() for d in settings.STREAM_MEDIA_DIRS]
    if not any(resolved.is_relative_to(d) for d in allowed):
        dirs = ", ".join(str(d) for d in allowed)
        raise ValidationError(f"Files must be inside an allowed media directory ({dirs}).")
    if not resolved.is_file():
        raise ValidationError(f"No such file: {resolved}.")
    return SourceRef("file", str(resolved))


def classify_source(value: str) -> SourceKind:
    """The kind of a stored source, lexically (no file-system checks)."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true, and int() refuses it
        return "webcam"
    return "network" if _SCHEME_RE.match(value) else "file"


def redact_source(value: str) -> str:
    """The source with any password (and query-string secrets) replaced, safe for pages, logs and the API."""
    match = _SCHEME_RE.match(value or "")
    if not match:
        return value
    try:
        parts = urlsplit(value)
        netloc = parts.netloc
    except ValueError:
        return f"{match.group(1)}://***"
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
    query = "***" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def source_unless_redacted(given: str, stored: str | None) -> str:
    """Pages and the API show a stored source redacted; that redacted value sent back means "keep the stored one"
    (password included). Anything else is a new source. The one place this rule lives: forms, API, "Test source"."""
    if stored is not None and given == redact_source(stored):
        return stored
    return given
