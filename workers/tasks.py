"""Celery tasks: one long task per running stream, and the reconciler that keeps streams as desired."""

import logging
import os
import time

from celery import Task

from core import task_names
from workers.celery import app

logger = logging.getLogger(__name__)

# A pass takes milliseconds; the fence outlives a control worker killed in the middle of one by this much.
FENCE_TTL_S = 30.0


@app.task(name=task_names.RUN_STREAM, bind=True, ignore_result=True)
def run_stream(self: Task, stream_id: int) -> None:
    """Host the stream's pipeline until it is stopped; returns when the pool process is free again."""
    # Imported here, after the pool process was configured: streamvision freezes its options at import.
    from workers.hosting.runner import StreamRunner

    logger.info("Stream %s: task started", stream_id)
    StreamRunner.init(stream_id, worker=self.request.hostname or "").run()
    logger.info("Stream %s: task finished", stream_id)


@app.task(name=task_names.RECONCILE, bind=True, ignore_result=True)
def reconcile(self: Task) -> int:
    """Celery beat sends this every few seconds to the control queue (see CELERY_BEAT_SCHEDULE). Any control
    worker may receive it; the fence lets one pass act at a time, and each pass is recorded for the system
    page and /metrics."""
    from streams import reconciler, supervision

    by = f"{self.request.hostname or 'control'}:{os.getpid()}"
    with supervision.reconciler_fence(ttl_s=FENCE_TTL_S) as acting:
        if not acting:
            logger.info("Reconciler: another pass is acting; this one stands down")
            return 0
        started = time.monotonic()
        acted = reconciler.streams_reconcile()
        supervision.reconciler_pass_record(by=by, acted=acted, took_s=time.monotonic() - started)
    if acted:
        logger.info("Reconciler acted on %s stream(s)", acted)
    return acted


@app.task(name=task_names.PRUNE_EVENTS, ignore_result=True)
def prune_events() -> int:
    from django.conf import settings

    from streams import audit

    return audit.stream_events_prune(keep=settings.STREAM_EVENTS_KEEP)
