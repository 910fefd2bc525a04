"""Celery beat's scheduler: celery-redbeat keeps the schedule in Redis behind a lock, so one beat per control
host can run and exactly one of them sends tasks; another takes over once the holder's lock expires
(REDBEAT_LOCK_TIMEOUT, seconds). Each tick also says who holds the lock, for the system page.
"""

import logging
import os

from django.conf import settings
from redbeat import RedBeatScheduler

from streams import supervision

logger = logging.getLogger(__name__)
QUIET_BELOW_S = 60.0  # entries sent more often than this are the steady state: not one INFO line per send


class QuietTicks(logging.Filter):
    """Drops celery beat's "Sending due task" line for the frequent entries (the reconciler every 2 s), so the
    log says what changes (start, the lock, errors) and stays small over months."""

    def __init__(self, frequent: set[str]) -> None:
        super().__init__()
        self.frequent = frequent

    def filter(self, record: logging.LogRecord) -> bool:
        sending = record.msg == "Scheduler: Sending due task %s (%s)"
        return not (sending and record.args and record.args[0] in self.frequent)


def frequent_entries(schedule: dict) -> set[str]:
    """The names of the beat schedule's entries that run more often than QUIET_BELOW_S."""
    return {name for name, entry in schedule.items()
            if isinstance(entry.get("schedule"), int | float) and entry["schedule"] < QUIET_BELOW_S}  # fmt: skip


class LeasedScheduler(RedBeatScheduler):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        logging.getLogger("celery.beat").addFilter(QuietTicks(frequent_entries(settings.CELERY_BEAT_SCHEDULE)))

    def tick(self, *args: object, **kwargs: object) -> float:
        # A lock lost meanwhile (Redis restarted, or this process stalled past its timeout) raises here and ends
        # this beat; its supervisor starts it again, and it waits for the lock like any standby.
        interval = super().tick(*args, **kwargs)
        try:
            supervision.beat_holder_record(holder=self.holder, ttl_s=self.lock_timeout)
        except Exception as error:  # noqa: BLE001 - telling who holds the lock must never stop the schedule
            logger.warning("Could not record the beat lock's holder: %s", error)
        return interval

    @property
    def holder(self) -> str:
        return f"beat@{settings.NODE_HOST}:{os.getpid()}"
