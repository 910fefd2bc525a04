"""When to try a delivery again: exponential backoff with jitter, or what a 429's Retry-After asks."""

import random
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 3600.0  # a receiver cannot park a delivery for longer than this


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float
    max_s: float
    give_up_after_s: float
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay_s(self, attempts: int, *, retry_after_s: float | None = None) -> float:
        """Seconds before the next try after `attempts` failed ones ("equal jitter": half fixed, half random,
        so receivers coming back are not hit by every sender at once)."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), MAX_RETRY_AFTER_S)
        ceiling = min(self.max_s, self.base_s * 2 ** max(attempts - 1, 0))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date. None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max((moment - now).total_seconds(), 0.0)
