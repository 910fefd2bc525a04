"""The stream pages: add, edit, tune, command, delete, "Test source", and one stream's page with its event log. Reads
go through streams.selectors, every write through streams.services."""

import base64
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role
from core.api import request_actor
from core.web import form_add_errors, redirect_next, wants_json
from streams import probe, selectors, services
from streams.forms import StreamCreateForm, StreamForm, StreamSettingsForm
from streams.models import Stream
from streams.sources import source_unless_redacted

logger = logging.getLogger(__name__)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def stream_create(request: HttpRequest) -> HttpResponse:
    form = StreamCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        stream = _create(form, request_actor(request))
        if stream is not None:
            logger.info("User %s created stream %s", request.user, stream.pk)
            messages.success(request, f"Stream “{stream.name}” created.")
            return redirect("stream-detail", pk=stream.pk)
    return render(request, "streams/stream_form.html", {"form": form, "stream": None})


@role_required(Role.VIEWER)
@require_GET
def stream_detail(request: HttpRequest, pk: int) -> HttpResponse:
    stream = selectors.stream_shown(_get_stream(pk))  # shown, never saved: the form here only renders
    context = {"stream": stream, "events": _events(pk), "settings_form": StreamSettingsForm(instance=stream)}
    return render(request, "streams/stream_detail.html", context)


@role_required(Role.VIEWER)
@require_GET
def stream_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The event log of the stream page, refreshed in place."""
    _get_stream(pk)
    return render(request, "streams/_events.html", {"events": _events(pk)})


@role_required(Role.OPERATOR)
@require_POST
def stream_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Confidence, classes and max fps from the stream page; they apply to the running stream at once."""
    stream = _get_stream(pk)
    form = StreamSettingsForm(request.POST, instance=_get_stream(pk))
    saved = form.is_valid() and _update(form, stream, _changes(form), request_actor(request))
    if wants_json(request):
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"ok": saved, "errors": errors}, status=200 if saved else 400)
    if saved:
        messages.success(request, "Settings applied.")
    else:
        messages.error(request, "Settings not applied: " + "; ".join(m for errs in form.errors.values() for m in errs))
    return redirect("stream-detail", pk=pk)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def stream_edit(request: HttpRequest, pk: int) -> HttpResponse:
    stream = _get_stream(pk)
    # The form gets its own copy: validation writes the new values onto its instance, while the service
    # diffs them against the stored row and the page heading keeps the stored name.
    form = StreamForm(request.POST if request.method == "POST" else None, instance=_get_stream(pk))
    if form.is_bound and form.is_valid():
        changes = _changes(form)
        if _update(form, stream, changes, request_actor(request)):
            logger.info("User %s changed %s of stream %s", request.user, sorted(changes), pk)
            messages.success(request, "Changes saved." if changes else "Nothing changed.")
            return redirect("stream-detail", pk=pk)
    return render(request, "streams/stream_form.html", {"form": form, "stream": stream})


_COMMANDS = {
    "start": (services.stream_start, "Starting"),
    "stop": (services.stream_stop, "Stopping"),
    "pause": (services.stream_pause, "Pausing"),
    "resume": (services.stream_resume, "Resuming"),
    "restart": (services.stream_restart, "Restarting"),
}


@role_required(Role.OPERATOR)
@require_POST
def stream_command(request: HttpRequest, pk: int, command: str) -> HttpResponse:
    """Start, stop, pause, resume or restart; the service is idempotent, so a double click is harmless."""
    service, verb = _COMMANDS[command]
    try:
        stream = service(stream=_get_stream(pk), actor=request_actor(request))
    except Stream.DoesNotExist:  # deleted while the command was on its way
        raise Http404("No such stream.") from None
    logger.info("User %s: %s stream %s", request.user, command, pk)
    if wants_json(request):  # the wall sends commands without leaving the page
        return JsonResponse({"ok": True, "desired_state": stream.desired_state, "status": stream.status})
    messages.success(request, f"{verb} “{stream.name}”.")
    return redirect_next(request, reverse("stream-detail", args=[pk]))


@role_required(Role.ADMIN)
@require_POST
def stream_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stream = _get_stream(pk)
    name = stream.name
    services.stream_delete(stream=stream, actor=request_actor(request))
    logger.info("User %s deleted stream %s", request.user, pk)
    messages.success(request, f"Stream “{name}” deleted.")
    return redirect_next(request, reverse("stream-list"))


@role_required(Role.ADMIN)
@require_POST
def source_probe(request: HttpRequest) -> HttpResponse:
    """"Test source": open the source once and answer a snapshot (JPEG, base64) or the exact error."""
    source = request.POST.get("source", "")
    stream_id = request.POST.get("stream", "")
    if stream_id.isascii() and stream_id.isdigit():  # "²".isdigit() is true too, and int() refuses it
        stream = selectors.stream_get(stream_id=int(stream_id))
        source = source_unless_redacted(source, stream.source if stream is not None else None)
    result = probe.probe_source(source)
    payload = {"ok": result.ok, "message": result.message, "width": result.width, "height": result.height,
               "elapsed_ms": result.elapsed_ms}
    if result.ok:
        payload["snapshot"] = "data:image/jpeg;base64," + base64.b64encode(result.jpeg).decode()
    return JsonResponse(payload)


def _get_stream(pk: int) -> Stream:
    stream = selectors.stream_get(stream_id=pk)
    if stream is None:
        raise Http404("No such stream.")
    return stream


def _events(stream_id: int) -> list:
    return list(selectors.stream_events(stream_id=stream_id, limit=50))


def _changes(form: Form) -> dict[str, object]:
    return {field: form.cleaned_data[field] for field in form.changed_data}


def _create(form: StreamCreateForm, actor: str) -> Stream | None:
    data = form.cleaned_data
    try:
        return services.stream_create(
            name=data["name"],
            source=data["source"],
            max_fps=data["max_fps"],
            confidence=data["confidence"],
            classes=data["classes"],
            model=data["model"],
            queue=data["queue"],
            start=data["start"],
            actor=actor,
        )
    except ValidationError as error:
        form_add_errors(form, error)
        return None


def _update(form: Form, stream: Stream, changes: dict[str, object], actor: str) -> bool:
    if not changes:
        return True
    try:
        services.stream_update(stream=stream, actor=actor, **changes)
    except ValidationError as error:
        form_add_errors(form, error)
        return False
    return True
