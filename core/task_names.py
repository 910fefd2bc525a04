"""The names of the Celery tasks, in one place: the web sends them by name (streams never imports workers),
beat schedules them by name (settings), and workers/tasks.py registers its tasks under them."""

RUN_STREAM = "workers.run_stream"  # one long task per running stream
RECONCILE = "workers.reconcile"  # one pass of the reconciler, every STREAM_RECONCILE_INTERVAL_S
PRUNE_EVENTS = "workers.prune_events"  # the stream event log cut to STREAM_EVENTS_KEEP per stream
