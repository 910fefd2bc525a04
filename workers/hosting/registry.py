"""Worker registration: each stream worker node writes its heartbeat (host, pid, queues, capacity) to the
database from a thread of its main process, so pages and the API can list the workers and their streams."""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import connections
from django.utils import timezone

from streams import nodes

logger = logging.getLogger(__name__)


class WorkerHeartbeat:
    def __init__(self, name: str, queues: list[str], capacity: int, interval_s: float) -> None:
        self._name = name
        self._queues = queues
        self._capacity = capacity
        self._interval_s = interval_s
        self._started_at = timezone.now()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def init(cls, name: str, queues: list[str], capacity: int) -> "WorkerHeartbeat":
        return cls(name=name, queues=queues, capacity=capacity, interval_s=settings.WORKER_HEARTBEAT_S)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat_forever, name="worker-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            nodes.worker_gone(name=self._name)
        finally:
            connections.close_all()

    def _beat_forever(self) -> None:
        while not self._stop.is_set():
            try:
                nodes.worker_heartbeat(
                    name=self._name,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    queues=self._queues,
                    capacity=self._capacity,
                    started_at=self._started_at,
                )
            except Exception as error:  # noqa: BLE001 - a database hiccup must not kill the worker
                logger.warning("Worker heartbeat failed: %s", error)
            finally:
                # The main process forks pool processes: never leave a connection open for them to inherit.
                connections.close_all()
            self._stop.wait(self._interval_s)
