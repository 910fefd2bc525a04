"""The Celery app of the workers.

Stream workers:  celery -A workers.celery worker -Q streams[,gpu] --concurrency N
Reconciler:      celery -A workers.celery worker -Q control --pool solo --beat   (one per deployment)
"""

import logging
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

logger = logging.getLogger(__name__)

app = Celery("workers", include=["workers.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")

_heartbeat = None


@worker_init.connect
def _prepare_main_process(**_: object) -> None:
    """The main process needs Django for its registry heartbeat; it never imports tritonclient."""
    import django

    django.setup()


@worker_process_init.connect
def _prepare_pool_process(**_: object) -> None:
    """Runs in every pool process after the fork, before any task: nothing heavy is imported pre-fork
    (tritonclient must not be imported before a fork), and streamvision's options freeze at first import."""
    import django

    django.setup()
    from workers.parent_death import set_parent_death_signal
    from workers.runtime import configure_stream_runtime

    # A pool process must not outlive its worker, even if the worker is killed with SIGKILL.
    set_parent_death_signal()
    configure_stream_runtime()


@worker_ready.connect
def _register_worker(sender: object, **_: object) -> None:
    from django.conf import settings

    from workers.registry import WorkerHeartbeat

    global _heartbeat
    queues = sorted(queue.name for queue in sender.task_consumer.queues)  # type: ignore[attr-defined]
    if set(queues) <= {settings.CONTROL_QUEUE}:
        return  # the reconciler's worker runs no streams
    capacity = int(sender.controller.concurrency or 1)  # type: ignore[attr-defined]
    _heartbeat = WorkerHeartbeat.init(name=sender.hostname, queues=queues, capacity=capacity)  # type: ignore[attr-defined]
    _heartbeat.start()
    logger.info("Worker %s registered: queues %s, capacity %s", sender.hostname, queues, capacity)  # type: ignore[attr-defined]


@worker_shutdown.connect
def _unregister_worker(**_: object) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
