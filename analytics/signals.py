"""One-way hooks other apps connect to, so `analytics/` never imports them (events/ connects here, as it does to
streams.signals).

`counts_recorded` is sent by `analytics.services.counts_record` inside the transaction that adds a worker's
counts to their buckets, after they were added: a receiver that writes rows of its own (the events outbox)
commits or rolls back with the counts. Receivers are called with `send_robust`: one that raises is logged and
never undoes the counts, so a receiver that writes wraps its writes in its own `transaction.atomic()`.

Arguments: `stream_id`, `occupancy` (zone id -> class name -> objects inside now, as the worker saw it when it
flushed; empty when it did not say).
"""

from django.dispatch import Signal

counts_recorded = Signal()
