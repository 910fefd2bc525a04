"""The stream's counts in the worker: totals since the last reset (shown live) and the part not stored yet.

The sink's thread adds to it on every crossing, entry and exit; the runner's thread takes what is pending
about once a second and stores it (analytics.services.counts_record), never the frame path. A worker killed
with SIGKILL loses at most what it counted since its last flush: about a second.
"""

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

TotalKey = tuple[str, int, str, str]  # (kind, object id, class name, metric)
DeltaKey = tuple[str, int, str, str, int]  # ... and the minute, as unix seconds


@dataclass(frozen=True)
class Pending:
    deltas: dict[DeltaKey, int]
    collected_since: float  # unix time of the first count in it (a reset after that drops it)


class CountLedger:
    def __init__(self, totals: dict[TotalKey, int] | None = None, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._totals: dict[TotalKey, int] = defaultdict(int, totals or {})
        self._pending: dict[DeltaKey, int] = defaultdict(int)
        self._since: float | None = None

    def add(self, kind: str, object_id: int, class_name: str, metric: str, at: float, amount: int = 1) -> None:
        minute = int(at // 60) * 60
        with self._lock:
            if self._since is None:
                self._since = self._clock()
            self._totals[(kind, object_id, class_name, metric)] += amount
            self._pending[(kind, object_id, class_name, metric, minute)] += amount

    def take_pending(self) -> Pending | None:
        """What was counted since the last take (None if nothing): the caller stores it or gives it back."""
        with self._lock:
            if not self._pending:
                return None
            taken = Pending(dict(self._pending), self._since or self._clock())
            self._pending, self._since = defaultdict(int), None
            return taken

    def give_back(self, pending: Pending) -> None:
        """Storing failed (the database was away): keep it for the next flush."""
        with self._lock:
            for key, amount in pending.deltas.items():
                self._pending[key] += amount
            self._since = min(self._since or pending.collected_since, pending.collected_since)

    def restart_from(self, totals: dict[TotalKey, int]) -> None:
        """After a reset: the stored totals (zero) become the live ones; what is pending predates it."""
        with self._lock:
            self._totals = defaultdict(int, totals)
            self._pending, self._since = defaultdict(int), None

    def totals_of(self, kind: str, object_id: int) -> dict[str, dict[str, int]]:
        """metric -> class name -> total, for one zone or line."""
        found: dict[str, dict[str, int]] = defaultdict(dict)
        with self._lock:
            for (k, oid, class_name, metric), total in self._totals.items():
                if k == kind and oid == object_id and total:
                    found[metric][class_name] = total
        return dict(found)
