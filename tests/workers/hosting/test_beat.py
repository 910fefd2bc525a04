"""Celery beat's log in the steady state: the real beat process, the product's schedule, the embedded Valkey."""

import os
import signal
import sys

import redis

from stack.processes import spawn, stop_process, wait_until


def test_the_reconcilers_ticks_leave_no_line_in_beats_log(tmp_path, settings):
    """GIVEN celery beat with the product's schedule (the reconciler every 2 s) WHEN it has sent the reconcile
    task several times THEN its log has its start and no "Sending due task" line for the reconciler, so it grows
    by nothing while nothing changes."""
    base, _, db = os.environ["REDIS_URL"].rpartition("/")
    url = f"{base}/{int(db or 0) + 3}"  # a database of its own: beat's lock and schedule, the control queue
    client = redis.Redis.from_url(url)
    client.flushdb()
    queue = f"control-beat-test-{os.getpid()}"
    env = {**os.environ, "REDIS_URL": url, "VAR_DIR": str(tmp_path), "CONTROL_QUEUE": queue,
           "STREAM_RECONCILE_INTERVAL_S": "0.5", "LOG_LEVEL": "INFO"}  # fmt: skip
    log = tmp_path / "beat.log"
    command = [sys.executable, "-m", "celery", "-A", "workers.celery", "beat", "--scheduler",
               settings.CELERY_BEAT_SCHEDULER, "--loglevel", "INFO"]  # fmt: skip
    beat = spawn(command, env=env, log_path=log)
    try:
        wait_until(lambda: client.llen(queue) >= 4, timeout=30, what="four reconcile tasks sent")
    finally:
        stop_process(beat, sig=signal.SIGTERM, timeout=10)
        client.flushdb()
    text = log.read_text()
    assert "beat: Starting" in text
    assert "Sending due task reconcile-streams" not in text, text[-2000:]
