"""One-way hooks other apps connect to, so `streams/` never imports them.

`status_changed` is sent by `streams.status` inside the transaction that writes a new observed status, after the
row is updated: a receiver that writes rows of its own (events, an outbox) commits or rolls back with the status.
Receivers are called with `send_robust`: one that raises is logged and never undoes the status change, so a
receiver that writes should wrap its writes in its own `transaction.atomic()` (a savepoint).

Arguments: `stream` (the Stream, already carrying the new status), `previous` (the status it left), `status`,
`reason`.
"""

from django.dispatch import Signal

status_changed = Signal()
