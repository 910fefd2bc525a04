"""Every Redis key the product writes, in one place (one prefix, one shape per kind), so that two modules can
never collide and an operator can find what a key is for. Celery's own keys and celery-redbeat's are theirs."""

PREFIX = "streamvision"


def stream_key(stream_id: int | str, name: str) -> str:
    """A stream's control keys: its lease, dispatch ticket, commands (streams/control.py); `stream_id` may be
    the glob `*`."""
    return f"{PREFIX}:stream:{stream_id}:{name}"


def stream_pattern() -> str:
    """Every stream's control keys, for a scan."""
    return f"{PREFIX}:stream:*"


def viewers_key(stream_id: int, size: str) -> str:
    """Who watches a stream at a size (streams/viewers.py)."""
    return f"{PREFIX}:viewers:{stream_id}:{size}"


def output_failures_key(address: str) -> str:
    """Refused viewing tokens from one client address, for the outputs' throttle (outputs/throttle.py)."""
    return f"{PREFIX}:outputs:failures:{address}"


def metrics_history_key(stream_id: int) -> str:
    """The last minutes of a stream's metrics (streams/metrics_history.py)."""
    return f"{PREFIX}:metrics:{stream_id}"


def counters_key(stream_id: int) -> str:
    """A stream's counters that outlive pipelines, for Prometheus (streams/stream_counters.py)."""
    return f"{PREFIX}:counters:{stream_id}"


def ops_key(*parts: str) -> str:
    """What keeps the product running reports (streams/supervision.py): hosts, the reconciler, beat."""
    return ":".join((PREFIX, "ops", *parts))


def outbox_wake_key() -> str:
    """Wakes the deliverer when the outbox has news (events/outbox.py)."""
    return f"{PREFIX}:events:outbox-wake"
