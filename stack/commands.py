"""The command line of each Celery and web process the launcher runs (and the tests, and deploy/'s units)."""

import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent


def worker_command(
    *, concurrency: int | None = None, queues: list[str] | None = None, name: str | None = None
) -> list[str]:
    """A stream worker node: one pool process per stream it can run."""
    queues = queues or [settings.STREAMS_QUEUE, *settings.WORKER_QUEUES]
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery", "worker", "-n", name or worker_node_name(),
        "-Q", ",".join(queues), "--pool", "prefork",
        "--concurrency", str(concurrency or settings.WORKER_CONCURRENCY),
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-O", "fair",
        "--loglevel", settings.LOG_LEVEL,
    ]  # fmt: skip


def control_command(*, queue: str | None = None, name: str | None = None) -> list[str]:
    """The reconciler's one-slot worker on the control queue (beat runs beside it, as its own process)."""
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery", "worker",
        "-n", name or f"control@{settings.NODE_HOST}", "-Q", queue or settings.CONTROL_QUEUE, "--pool", "solo",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", settings.LOG_LEVEL,
    ]  # fmt: skip


def beat_command() -> list[str]:
    """Celery beat with the Redis-locked scheduler: run one per control host; one holds the lock and sends."""
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery", "beat",
        "--scheduler", settings.CELERY_BEAT_SCHEDULER, "--loglevel", settings.LOG_LEVEL,
    ]  # fmt: skip


def web_command(*, host: str | None = None, port: int | None = None) -> list[str]:
    return [
        sys.executable, "-m", "daphne", "-b", host or settings.WEB_HOST, "-p", str(port or settings.WEB_PORT),
        "config.asgi:application",
    ]


def worker_node_name() -> str:
    """This host's stream worker node (Celery's `-n`), also the prefix of the leases its pool processes hold."""
    return settings.WORKER_NAME or f"streams@{settings.NODE_HOST}"


def deliver_command(*, name: str = "") -> list[str]:
    """The deliverer (events.deliverer): webhooks and MQTT from the outbox; any number may run."""
    return [sys.executable, str(BASE_DIR / "manage.py"), "deliver", *(["--name", name] if name else [])]
