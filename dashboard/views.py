"""The operator's pages. Reads go through streams.selectors, every write through streams.services."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from streams import selectors, services
from streams.forms import StreamCreateForm, StreamForm
from streams.models import Stream

logger = logging.getLogger(__name__)


@login_required
@require_GET
def stream_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/stream_list.html", {"streams": selectors.stream_list()})


@login_required
@require_http_methods(["GET", "POST"])
def stream_create(request: HttpRequest) -> HttpResponse:
    form = StreamCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        stream = _create(form)
        if stream is not None:
            logger.info("User %s created stream %s", request.user, stream.pk)
            messages.success(request, f"Stream “{stream.name}” created.")
            return redirect("stream-detail", pk=stream.pk)
    return render(request, "dashboard/stream_form.html", {"form": form, "stream": None})


@login_required
@require_GET
def stream_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "dashboard/stream_detail.html", {"stream": _get_stream(pk)})


@login_required
@require_http_methods(["GET", "POST"])
def stream_edit(request: HttpRequest, pk: int) -> HttpResponse:
    stream = _get_stream(pk)
    # The form gets its own copy: validation writes the new values onto its instance, while the service
    # diffs them against the stored row and the page heading keeps the stored name.
    form = StreamForm(request.POST if request.method == "POST" else None, instance=_get_stream(pk))
    if form.is_bound and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        if _update(form, stream, changes):
            logger.info("User %s changed %s of stream %s", request.user, sorted(changes), pk)
            messages.success(request, "Changes saved." if changes else "Nothing changed.")
            return redirect("stream-detail", pk=pk)
    return render(request, "dashboard/stream_form.html", {"form": form, "stream": stream})


@login_required
@require_POST
def stream_start(request: HttpRequest, pk: int) -> HttpResponse:
    stream = services.stream_start(stream=_get_stream(pk))
    logger.info("User %s started stream %s", request.user, pk)
    messages.success(request, f"Starting “{stream.name}”.")
    return _redirect_next(request, reverse("stream-detail", args=[pk]))


@login_required
@require_POST
def stream_stop(request: HttpRequest, pk: int) -> HttpResponse:
    stream = services.stream_stop(stream=_get_stream(pk))
    logger.info("User %s stopped stream %s", request.user, pk)
    messages.success(request, f"Stopping “{stream.name}”.")
    return _redirect_next(request, reverse("stream-detail", args=[pk]))


@login_required
@require_POST
def stream_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stream = _get_stream(pk)
    name = stream.name
    services.stream_delete(stream=stream)
    logger.info("User %s deleted stream %s", request.user, pk)
    messages.success(request, f"Stream “{name}” deleted.")
    return _redirect_next(request, reverse("stream-list"))


def _get_stream(pk: int) -> Stream:
    stream = selectors.stream_get(stream_id=pk)
    if stream is None:
        raise Http404("No such stream.")
    return stream


def _create(form: StreamCreateForm) -> Stream | None:
    data = form.cleaned_data
    try:
        return services.stream_create(
            name=data["name"],
            source=data["source"],
            max_fps=data["max_fps"],
            confidence=data["confidence"],
            start=data["start"],
        )
    except ValidationError as error:
        _add_errors(form, error)
        return None


def _update(form: StreamForm, stream: Stream, changes: dict[str, object]) -> bool:
    try:
        services.stream_update(stream=stream, **changes)
    except ValidationError as error:
        _add_errors(form, error)
        return False
    return True


def _add_errors(form: Form, error: ValidationError) -> None:
    """Show a service's refusal on the form; errors about fields the form lacks go to the top of it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _redirect_next(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host()}
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure())
    return redirect(target if safe else default)
