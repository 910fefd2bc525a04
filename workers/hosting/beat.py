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


class LeasedScheduler(RedBeatScheduler):
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
