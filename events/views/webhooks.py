"""The webhook pages: endpoints (the secret is shown once, on the page that answers a create or a rotation),
each endpoint's delivery log, "Send test event", "Replay", enable/disable. Writes go through events.endpoints."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role, has_role
from core.api import request_actor
from core.web import form_add_errors
from events import endpoints, selectors
from events.forms import EndpointForm
from events.models import WebhookEndpoint


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    """The endpoints, and the form that adds one; after a create, the new secret, this once."""
    is_admin = has_role(request.user, Role.ADMIN)
    form = EndpointForm(request.POST if request.method == "POST" else None, is_admin=is_admin)
    if form.is_bound and form.is_valid():
        try:
            endpoint, secret = endpoints.endpoint_create(is_admin=is_admin, actor=request_actor(request),
                                                         **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            return _secret_page(request, endpoint, secret, "created")
    return render(request, "events/webhooks.html", {"form": form, "endpoints": selectors.endpoint_list()})


@role_required(Role.ADMIN)
@require_GET
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get(pk)
    context = {"endpoint": endpoint, "log": selectors.delivery_log(endpoint_id=pk, limit=100)}
    return render(request, "events/webhook_detail.html", context)


@role_required(Role.ADMIN)
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        message = endpoints.endpoint_send_test(endpoint=_get(pk), actor=request_actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Test event {message.msg_id} queued; it shows in the log once sent.")
    return redirect("webhook-detail", pk=pk)


@role_required(Role.ADMIN)
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get(pk)
    secret = endpoints.endpoint_rotate_secret(endpoint=endpoint, actor=request_actor(request))
    return _secret_page(request, endpoint, secret, "rotated")


@role_required(Role.ADMIN)
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get(pk)
    enable = not endpoint.enabled
    endpoints.endpoint_update(endpoint=endpoint, is_admin=has_role(request.user, Role.ADMIN),
                              actor=request_actor(request), enabled=enable)  # fmt: skip
    messages.success(request, f"Endpoint {'enabled' if enable else 'disabled'}.")
    return redirect("webhook-detail", pk=pk)


@role_required(Role.ADMIN)
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get(pk)
    endpoints.endpoint_delete(endpoint=endpoint, actor=request_actor(request))
    messages.success(request, f"Endpoint “{endpoint.name}” deleted.")
    return redirect("webhooks")


@role_required(Role.ADMIN)
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(delivery_id=pk)
    if delivery is None or delivery.endpoint is None:
        raise Http404("No such delivery.")
    try:
        endpoints.delivery_replay(delivery=delivery, actor=request_actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{delivery.message.msg_id} queued again.")
    return redirect("webhook-detail", pk=delivery.endpoint_id)


def _secret_page(request: HttpRequest, endpoint: WebhookEndpoint, secret: str, what: str) -> HttpResponse:
    response = render(request, "events/secret.html", {"endpoint": endpoint, "secret": secret, "what": what})
    response["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    return response


def _get(pk: int) -> WebhookEndpoint:
    endpoint = selectors.endpoint_get(endpoint_id=pk)
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint
