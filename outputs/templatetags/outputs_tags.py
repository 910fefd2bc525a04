"""{% outputs_panel stream %}: the stream page's "Outputs for players" panel (admins only), so the streams app, which
sits below outputs, renders it without importing it."""

from django import template

from outputs import selectors
from outputs.urls_shown import TOKEN_PLACEHOLDER, player_urls
from streams.models import Stream

register = template.Library()


@register.inclusion_tag("outputs/_stream_panel.html", takes_context=True)
def outputs_panel(context: template.Context, stream: Stream) -> dict:
    if not context.get("can_admin", False):
        return {"shown": False}
    tokens = list(selectors.token_list(stream_id=stream.pk))
    return {
        "shown": True,
        "stream": stream,
        "tokens": [token for token in tokens if token.is_active],
        "revoked_count": sum(not token.is_active for token in tokens),
        "urls": player_urls(context["request"], stream),
        "placeholder": TOKEN_PLACEHOLDER,
        "csrf_token": context.get("csrf_token"),
    }
