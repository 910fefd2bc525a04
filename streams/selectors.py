"""Reads of streams, their events and the worker registry."""

from django.db.models import QuerySet

from streams import metrics_history
from streams.models import Stream, StreamEvent, WorkerNode


def stream_list() -> QuerySet[Stream]:
    return Stream.objects.order_by("name")


def stream_get(*, stream_id: int) -> Stream | None:
    return Stream.objects.filter(pk=stream_id).first()


def stream_events(*, stream_id: int, limit: int = 50) -> QuerySet[StreamEvent]:
    return StreamEvent.objects.filter(stream_id=stream_id).order_by("-created_at", "-pk")[:limit]


def stream_metrics_history(*, stream_id: int) -> list[metrics_history.MetricsSample]:
    """The stream's metrics over the charts' window (five minutes), oldest first."""
    return metrics_history.history_read(stream_id=stream_id)


def stream_ids_of_worker(*, worker: str) -> list[int]:
    """Streams the named worker node reported last (it may hold their leases)."""
    return list(Stream.objects.filter(worker=worker).values_list("pk", flat=True))


def worker_list() -> list[WorkerNode]:
    """Registered worker nodes, each with `streams_held`: the names of the streams it runs now."""
    nodes = list(WorkerNode.objects.order_by("name"))
    held: dict[str, list[str]] = {}
    for name, worker in Stream.objects.exclude(worker="").values_list("name", "worker"):
        held.setdefault(worker, []).append(name)
    for node in nodes:
        node.streams_held = sorted(held.get(node.name, []))
    return nodes
