"""The shared pages: the wall (every stream as a live tile) and the system page; and the wall's one write,
"Remove demo streams"."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import role_required
from accounts.roles import Role
from core.api import request_actor
from dashboard import health
from streams import selectors
from streams.demo import demo_streams_remove
from streams.models import Stream


@role_required(Role.VIEWER)
@require_GET
def stream_list(request: HttpRequest) -> HttpResponse:
    """The wall: every stream as a live tile."""
    streams = selectors.streams_shown(list(selectors.stream_list()))
    has_demo = any(stream.demo for stream in streams)
    return render(request, "dashboard/stream_list.html", {"streams": streams, "has_demo": has_demo})


@role_required(Role.OPERATOR)
@require_POST
def demo_remove(request: HttpRequest) -> HttpResponse:
    """The wall's "Remove demo streams": every demo stream stops and goes, with its zones, lines, rules, events."""
    removed = demo_streams_remove(actor=request_actor(request))
    if removed:
        messages.success(request, f"Removed {len(removed)} demo stream{'s' if len(removed) > 1 else ''}: "
                                  f"{', '.join(removed)}.")  # fmt: skip
    else:
        messages.info(request, "There were no demo streams left to remove.")
    return redirect("stream-list")


@role_required(Role.VIEWER)
@require_GET
def stream_tile(request: HttpRequest, pk: int) -> HttpResponse:
    """One wall tile, for a stream that appeared after the wall was loaded."""
    return render(request, "dashboard/_tile.html", {"stream": _shown_stream(pk)})


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


def _shown_stream(pk: int) -> Stream:
    """The stream with its status as shown (404 if it is gone)."""
    stream = selectors.stream_get(stream_id=pk)
    if stream is None:
        raise Http404("No such stream.")
    return selectors.stream_shown(stream)
