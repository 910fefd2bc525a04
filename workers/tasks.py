"""Celery tasks: one long task per running stream, and the reconciler that keeps streams as desired."""

import logging

from celery import Task

from streams.dispatch import RUN_STREAM_TASK
from workers.celery import app

logger = logging.getLogger(__name__)


@app.task(name=RUN_STREAM_TASK, bind=True, ignore_result=True)
def run_stream(self: Task, stream_id: int) -> None:
    """Host the stream's pipeline until it is stopped; returns when the pool process is free again."""
    # Imported here, after the pool process was configured: streamvision freezes its options at import.
    from workers.runner import StreamRunner

    logger.info("Stream %s: task started", stream_id)
    StreamRunner.init(stream_id, worker=self.request.hostname or "").run()
    logger.info("Stream %s: task finished", stream_id)


@app.task(name="workers.reconcile", ignore_result=True)
def reconcile() -> int:
    """Celery beat runs this every few seconds on the control queue (see CELERY_BEAT_SCHEDULE)."""
    from streams import reconciler

    acted = reconciler.streams_reconcile()
    if acted:
        logger.info("Reconciler acted on %s stream(s)", acted)
    return acted


@app.task(name="workers.prune_events", ignore_result=True)
def prune_events() -> int:
    from django.conf import settings

    from streams import events

    return events.stream_events_prune(keep=settings.STREAM_EVENTS_KEEP)
