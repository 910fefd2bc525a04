"""The Celery app of the stream workers. Start with: celery -A workers.celery worker -Q streams."""

import logging
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

logger = logging.getLogger(__name__)

app = Celery("workers", include=["workers.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")


@worker_process_init.connect
def _prepare_pool_process(**_: object) -> None:
    """Runs in every pool process after the fork, before any task: nothing heavy is imported pre-fork
    (tritonclient must not be imported before a fork), and streamvision's options freeze at first import."""
    import django

    django.setup()
    from stack.processes import set_parent_death_signal
    from workers.runtime import configure_stream_runtime

    # A pool process must not outlive its worker, even if the worker is killed with SIGKILL.
    set_parent_death_signal()
    configure_stream_runtime()
