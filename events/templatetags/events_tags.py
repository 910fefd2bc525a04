"""Template tags that put events on pages the events app does not own: a wall tile's alert badge and the stream
page's recent events (so those pages' views need no change)."""

from django import template

from events import notify, selectors
from streams.models import Stream

register = template.Library()


@register.inclusion_tag("events/_alert_badge.html")
def alert_badge(stream: Stream) -> dict:
    """The number of the stream's events in progress that nobody acknowledged (hidden at zero)."""
    return {"count": notify.active_alerts(stream.pk), "stream": stream}


@register.inclusion_tag("events/_stream_events_panel.html")
def stream_events(stream: Stream) -> dict:
    return {"stream_id": stream.pk, "events": list(selectors.event_list(stream_id=stream.pk)[:10])}
