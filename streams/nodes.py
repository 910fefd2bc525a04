"""The registry of stream worker nodes: each writes its heartbeat (host, pid, queues, capacity) every few
seconds; pages and the API list them with the streams they run."""

from datetime import datetime

from django.utils import timezone

from streams.models import WorkerNode


def worker_heartbeat(
    *, name: str, hostname: str, pid: int, queues: list[str], capacity: int, started_at: datetime
) -> WorkerNode:
    """Register a worker node, or refresh its heartbeat."""
    node, _ = WorkerNode.objects.update_or_create(
        name=name,
        defaults={
            "hostname": hostname,
            "pid": pid,
            "queues": queues,
            "capacity": capacity,
            "started_at": started_at,
            "heartbeat_at": timezone.now(),
        },
    )
    return node


def worker_gone(*, name: str) -> None:
    """A worker shutting down cleanly; one that was killed just stops beating and shows as offline."""
    WorkerNode.objects.filter(name=name).delete()
