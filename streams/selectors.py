"""Reads of streams, their events and the worker registry."""

import redis
from django.db.models import QuerySet

from streams import control, lifecycle, metrics_history
from streams.models import Stream, StreamEvent, WorkerNode

WORKER_GONE_REASON = "its worker is gone; starting it again"


def stream_list() -> QuerySet[Stream]:
    return Stream.objects.order_by("name")


def stream_get(*, stream_id: int) -> Stream | None:
    return Stream.objects.filter(pk=stream_id).first()


def streams_shown(streams: list[Stream]) -> list[Stream]:
    """The streams as pages, the API and WebSockets show them (for display only; never saved): a stream
    stored as held by a worker (running, paused, reconnecting, stopping) whose lease no worker holds lost its
    worker a moment ago, and the reconciler has not stepped it yet. It is shown as starting (or stopped, if it
    was being stopped), never as running."""
    held = [stream for stream in streams if stream.status in lifecycle.HELD_STATUSES]
    try:
        holders = control.lease_holders([stream.pk for stream in held])
    except redis.RedisError:
        return streams  # no way to tell: show what is stored
    for stream in held:
        if holders[stream.pk] is None:
            gone = stream.desired_state == Stream.DesiredState.STOPPED
            stream.status = Stream.Status.STOPPED if gone else Stream.Status.STARTING
            stream.status_reason = "" if gone else WORKER_GONE_REASON
    return streams


def stream_shown(stream: Stream) -> Stream:
    return streams_shown([stream])[0]


def stream_lease_holder(*, stream_id: int) -> str | None:
    """Who runs the stream now (a worker process), or None."""
    return control.lease_holder(stream_id)


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
