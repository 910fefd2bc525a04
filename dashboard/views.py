"""The shared pages: the wall (every stream as a live tile) and the system page. Reads only."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import role_required
from accounts.roles import Role
from dashboard import health
from streams import selectors
from streams.models import Stream


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
