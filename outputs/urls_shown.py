"""The output URLs and player snippets an admin copies (stream page, token creation, the API's answer)."""

import json

from django.http import HttpRequest
from django.urls import reverse

from streams.models import Stream

TOKEN_PLACEHOLDER = "TOKEN"


def player_urls(request: HttpRequest, stream: Stream, secret: str = TOKEN_PLACEHOLDER) -> dict[str, str]:
    """Absolute URLs with the token in them, and the VLC, ffmpeg and Home Assistant snippets that use them."""
    mjpeg = request.build_absolute_uri(reverse("stream-mjpeg", args=[stream.pk])) + f"?token={secret}"
    snapshot = request.build_absolute_uri(reverse("stream-snapshot", args=[stream.pk])) + f"?token={secret}"
    name = json.dumps(f"{stream.name} (StreamVision)", ensure_ascii=False)  # a YAML double-quoted string
    home_assistant = "\n".join([
        "camera:",
        "  - platform: mjpeg",
        f"    name: {name}",
        f'    mjpeg_url: "{mjpeg}"',
        f'    still_image_url: "{snapshot}"',
    ])  # fmt: skip
    return {
        "mjpeg": mjpeg,
        "snapshot": snapshot,
        "vlc": f'vlc "{mjpeg}"',
        "ffmpeg": f'ffmpeg -f mpjpeg -i "{mjpeg}" -frames:v 5 frame%d.jpg',
        "home_assistant": home_assistant,
    }
