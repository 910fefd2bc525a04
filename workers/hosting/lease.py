"""A stream's lease as its runner holds it: the fence that keeps one pipeline per stream across all hosts.

Taken once (`SET NX` with a TTL), renewed about every second while held, let go at the end. A renewal that
fails means the holder was presumed dead and replaced: it must stop.
"""

import time
from collections.abc import Callable

from django.conf import settings

from streams import control


class StreamLease:
    def __init__(
        self,
        stream_id: int,
        holder: str,
        ttl_s: float,
        renew_every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream_id = stream_id
        self.holder = holder
        self._ttl_s = ttl_s
        self._renew_every_s = renew_every_s
        self._clock = clock
        self._renewed_at = float("-inf")

    @classmethod
    def init(cls, stream_id: int, holder: str) -> "StreamLease":
        return cls(stream_id=stream_id, holder=holder, ttl_s=settings.STREAM_LEASE_TTL_S)

    def acquire(self) -> bool:
        """True if this holder now has the lease; False if another one does."""
        if not control.acquire_lease(self.stream_id, self.holder, self._ttl_s):
            return False
        self._renewed_at = self._clock()
        return True

    def renew_if_due(self) -> bool:
        """Extend the lease when a renewal is due (cheap to call every tick). False: the lease was lost."""
        if self._clock() - self._renewed_at < self._renew_every_s:
            return True
        if not control.renew_lease(self.stream_id, self.holder, self._ttl_s):
            return False
        self._renewed_at = self._clock()
        return True

    def release(self) -> None:
        """Let go, if this holder still has it (a lost lease belongs to someone else now)."""
        control.release_lease(self.stream_id, self.holder)
