"""The stream page's viewing-token controls (admins): create one (its secret shown this once, with the player
URLs filled in) and revoke one. Reads through outputs.selectors, writes through outputs.services."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import role_required
from accounts.roles import Role
from core.api import request_actor
from outputs import selectors, services
from outputs.urls_shown import player_urls
from streams import selectors as stream_selectors

logger = logging.getLogger(__name__)


@role_required(Role.ADMIN)
@require_POST
def token_create(request: HttpRequest, pk: int) -> HttpResponse:
    stream = stream_selectors.stream_get(stream_id=pk)
    if stream is None:
        raise Http404("No such stream.")
    try:
        token, secret = services.token_create(stream=stream, name=request.POST.get("name", ""),
                                              created_by=request.user, actor=request_actor(request))  # fmt: skip
    except ValidationError as error:
        messages.error(request, "Viewing token not created: " + "; ".join(error.messages))
        return redirect(reverse("stream-detail", args=[pk]) + "#outputs")
    logger.info("User %s created viewing token %s of stream %s", request.user, token.pk, pk)
    context = {"stream": stream, "token": token, "secret": secret, "urls": player_urls(request, stream, secret)}
    return render(request, "outputs/token_created.html", context, status=201)


@role_required(Role.ADMIN)
@require_POST
def token_revoke(request: HttpRequest, pk: int, token_id: int) -> HttpResponse:
    token = selectors.token_get(stream_id=pk, token_id=token_id)
    if token is None:
        raise Http404("No such viewing token.")
    services.token_revoke(token=token, actor=request_actor(request))
    logger.info("User %s revoked viewing token %s of stream %s", request.user, token.pk, pk)
    messages.success(request, f"Viewing token “{token.name}” revoked: players using it get no more pictures.")
    return redirect(reverse("stream-detail", args=[pk]) + "#outputs")
