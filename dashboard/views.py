"""The operator's pages. Reads go through streams.selectors, every write through streams.services."""

import base64
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Role
from dashboard import health, probe
from dashboard.access import PUBLIC, role_required
from streams import selectors, services
from streams.forms import StreamCreateForm, StreamForm, StreamSettingsForm
from streams.models import Stream
from streams.sources import redact_source

logger = logging.getLogger(__name__)


@role_required(Role.VIEWER)
@require_GET
def stream_list(request: HttpRequest) -> HttpResponse:
    """The wall: every stream as a live tile."""
    streams = selectors.streams_shown(list(selectors.stream_list()))
    return render(request, "dashboard/stream_list.html", {"streams": streams})


@role_required(Role.VIEWER)
@require_GET
def stream_tile(request: HttpRequest, pk: int) -> HttpResponse:
    """One wall tile, for a stream that appeared after the wall was loaded."""
    return render(request, "dashboard/_tile.html", {"stream": selectors.stream_shown(_get_stream(pk))})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def stream_create(request: HttpRequest) -> HttpResponse:
    form = StreamCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        stream = _create(form, _actor(request))
        if stream is not None:
            logger.info("User %s created stream %s", request.user, stream.pk)
            messages.success(request, f"Stream “{stream.name}” created.")
            return redirect("stream-detail", pk=stream.pk)
    return render(request, "dashboard/stream_form.html", {"form": form, "stream": None})


@role_required(Role.VIEWER)
@require_GET
def stream_detail(request: HttpRequest, pk: int) -> HttpResponse:
    stream = selectors.stream_shown(_get_stream(pk))  # shown, never saved: the form here only renders
    context = {"stream": stream, "events": _events(pk), "settings_form": StreamSettingsForm(instance=stream)}
    return render(request, "dashboard/stream_detail.html", context)


@role_required(Role.VIEWER)
@require_GET
def stream_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The event log of the stream page, refreshed in place."""
    _get_stream(pk)
    return render(request, "dashboard/_events.html", {"events": _events(pk)})


@role_required(Role.OPERATOR)
@require_POST
def stream_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Confidence, classes and max fps from the stream page; they apply to the running stream at once."""
    stream = _get_stream(pk)
    form = StreamSettingsForm(request.POST, instance=_get_stream(pk))
    saved = form.is_valid() and _update(form, stream, _changes(form), _actor(request))
    if _wants_json(request):
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
        if _update(form, stream, changes, _actor(request)):
            logger.info("User %s changed %s of stream %s", request.user, sorted(changes), pk)
            messages.success(request, "Changes saved." if changes else "Nothing changed.")
            return redirect("stream-detail", pk=pk)
    return render(request, "dashboard/stream_form.html", {"form": form, "stream": stream})


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
        stream = service(stream=_get_stream(pk), actor=_actor(request))
    except Stream.DoesNotExist:  # deleted while the command was on its way
        raise Http404("No such stream.") from None
    logger.info("User %s: %s stream %s", request.user, command, pk)
    if _wants_json(request):  # the wall sends commands without leaving the page
        return JsonResponse({"ok": True, "desired_state": stream.desired_state, "status": stream.status})
    messages.success(request, f"{verb} “{stream.name}”.")
    return _redirect_next(request, reverse("stream-detail", args=[pk]))


@role_required(Role.ADMIN)
@require_POST
def stream_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stream = _get_stream(pk)
    name = stream.name
    services.stream_delete(stream=stream, actor=_actor(request))
    logger.info("User %s deleted stream %s", request.user, pk)
    messages.success(request, f"Stream “{name}” deleted.")
    return _redirect_next(request, reverse("stream-list"))


@role_required(Role.ADMIN)
@require_POST
def source_probe(request: HttpRequest) -> HttpResponse:
    """"Test source": open the source once and answer a snapshot (JPEG, base64) or the exact error."""
    source = request.POST.get("source", "")
    stream_id = request.POST.get("stream", "")
    if stream_id.isascii() and stream_id.isdigit():  # "²".isdigit() is true too, and int() refuses it
        # The edit form shows the source redacted: that value means the stored source, password included.
        stream = selectors.stream_get(stream_id=int(stream_id))
        if stream is not None and source == redact_source(stream.source):
            source = stream.source
    result = probe.probe_source(source)
    payload = {"ok": result.ok, "message": result.message, "width": result.width, "height": result.height,
               "elapsed_ms": result.elapsed_ms}
    if result.ok:
        payload["snapshot"] = "data:image/jpeg;base64," + base64.b64encode(result.jpeg).decode()
    return JsonResponse(payload)


@role_required(Role.VIEWER)
@require_GET
def system(request: HttpRequest) -> HttpResponse:
    """Triton, workers, the database and the broker; `?fragment=1` is the part the page refreshes."""
    processes, hosts = health.processes_health()
    context = {
        "reconciler": health.reconciler_health(),
        "processes": processes,
        "hosts": hosts,
        "triton": health.triton_health(),
        "database": health.database_health(),
        "broker": health.broker_health(),
        "workers": selectors.worker_list(),
    }
    template = "dashboard/_system.html" if request.GET.get("fragment") else "dashboard/system.html"
    return render(request, template, context)


@role_required(PUBLIC)
@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any /api/ path no endpoint serves: a JSON 404, as the rest of the API answers."""
    hint = "" if request.path.endswith("/") else f" (did you mean {request.path}/ ?)"
    return JsonResponse({"detail": f"No API endpoint at {request.path}{hint}; see /api/schema/."}, status=404)


def _get_stream(pk: int) -> Stream:
    stream = selectors.stream_get(stream_id=pk)
    if stream is None:
        raise Http404("No such stream.")
    return stream


def _events(stream_id: int) -> list:
    return list(selectors.stream_events(stream_id=stream_id, limit=50))


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


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
        _add_errors(form, error)
        return None


def _update(form: Form, stream: Stream, changes: dict[str, object], actor: str) -> bool:
    if not changes:
        return True
    try:
        services.stream_update(stream=stream, actor=actor, **changes)
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
