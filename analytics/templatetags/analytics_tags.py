"""{% analytics_panel stream %}: the zones, lines and counters panel of a stream page."""

from django import template
from django.conf import settings

from analytics import selectors
from analytics.models import Anchor, Line
from streams.models import Stream

register = template.Library()


@register.inclusion_tag("analytics/_stream_panel.html", takes_context=True)
def analytics_panel(context: template.Context, stream: Stream) -> dict:
    options = selectors.settings_of(stream_id=stream.pk)
    min_fps = settings.ANALYTICS_MIN_TRACKING_FPS
    return {
        "stream": stream,
        "can_operate": context.get("can_operate", False),  # drawing, resetting and settings are an operator's
        "analytics_settings": options,
        "analytics_min_fps": f"{min_fps:g}",
        # Known before any frame: a max fps under what tracking needs. The live rate updates it (counters.js).
        "analytics_low_fps": options.tracking and stream.max_fps is not None and stream.max_fps < min_fps,
        "anchors": Anchor.choices,
        "sides": Line.Side.choices,
    }
