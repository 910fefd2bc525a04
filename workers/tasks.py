"""Celery tasks of the stream workers: one long task per running stream."""

import logging

from streams.dispatch import RUN_STREAM_TASK
from workers.celery import app

logger = logging.getLogger(__name__)


@app.task(name=RUN_STREAM_TASK, ignore_result=True)
def run_stream(stream_id: int) -> None:
    """Host the stream's pipeline until it is stopped; returns when the pool process is free again."""
    # Imported here, after the pool process was configured: streamvision freezes its options at import.
    from workers.runner import StreamRunner

    logger.info("Stream %s: task started", stream_id)
    StreamRunner.init(stream_id).run()
    logger.info("Stream %s: task finished", stream_id)
