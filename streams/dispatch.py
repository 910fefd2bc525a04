"""Wakes the workers through Celery, by task name: streams/ never imports workers/."""

import functools

from celery import Celery

from core import task_names


@functools.cache
def _producer() -> Celery:
    app = Celery("streams-dispatch")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    return app


def dispatch_stream(stream_id: int, queue: str) -> None:
    """Queue the long-running task that hosts this stream's pipeline, for a worker consuming `queue`."""
    _producer().send_task(task_names.RUN_STREAM, args=[stream_id], queue=queue)
