"""The deliverer's periodic chores: end events whose pipeline is gone (a worker that died cannot end them),
keep snapshots within their retention and disk cap, and drop old fully delivered messages."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from events import delivery_queue, occurrences, snapshots

logger = logging.getLogger(__name__)

PRUNE_EVERY_S = 60.0


@dataclass
class Housekeeping:
    every_s: float
    clock: Callable[[], float] = time.monotonic
    _next_sweep: float = field(default=0.0, init=False)
    _next_prune: float = field(default=0.0, init=False)

    @classmethod
    def init(cls) -> "Housekeeping":
        return cls(every_s=settings.EVENTS_HOUSEKEEPING_S)

    def run_if_due(self) -> None:
        now = self.clock()
        if now >= self._next_sweep:
            self._next_sweep = now + self.every_s
            occurrences.events_end_orphaned()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY_S
            self.prune()

    @staticmethod
    def prune() -> None:
        snapshots.snapshots_prune(
            max_age_days=settings.EVENTS_RETENTION_DAYS, max_bytes=int(settings.EVENTS_MEDIA_MAX_MB * 1e6)
        )
        removed = delivery_queue.outbox_prune(older_than_days=settings.EVENTS_OUTBOX_KEEP_DAYS)
        if removed:
            logger.info("Housekeeping: removed %s old delivered message row(s)", removed)
