"""Keeps the launcher's children alive: a child that dies is started again after a backoff, with a log line;
one that keeps dying is marked failing, with the end of its log as its last error. The states go to Redis
(streams.supervision) for the system page and /metrics.

Everything here runs on the launcher's main thread: a parent-death signal set at spawn fires when the
spawning *thread* ends, so children must never be spawned from another thread.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from stack.children import Child
from stack.logs import LogRotation

logger = logging.getLogger(__name__)

FIRST_DELAY_S = 0.5
MAX_DELAY_S = 30.0
STEADY_AFTER_S = 10.0  # a child that ran this long before dying was killed, not crash-looping: first delay again
FAILING_AFTER = 3  # quick deaths in a row: shown as failing


@dataclass
class Supervised:
    child: Child
    state: str = "starting"  # running | restarting | failing | stopped
    restarts: int = 0
    quick_deaths: int = 0
    started_at: float = 0.0
    restart_at: float | None = None
    last_exit: int | None = None
    last_error: str = ""
    exited_at: float | None = None  # unix time of the last death

    def report(self) -> dict:
        return {
            "name": self.child.name, "pid": self.child.pid, "state": self.state, "restarts": self.restarts,
            "last_exit": self.last_exit, "last_error": self.last_error, "exited_at": self.exited_at,
        }  # fmt: skip


@dataclass
class Supervisor:
    children: list[Child]
    report: Callable[[list[dict]], None] = lambda states: None
    on_death: Callable[[Child], None] = lambda child: None
    report_every_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    rotation: LogRotation | None = None  # the children's logs, checked every rotate_every_s
    rotate_every_s: float = 10.0
    supervised: list[Supervised] = field(default_factory=list)

    def start_all(self) -> None:
        for child in self.children:
            self._start(self._entry(child))
        self._report()

    def run(self, stopping: threading.Event, poll_s: float = 0.2) -> None:
        """Watch the children until `stopping` is set."""
        reported_at = rotated_at = self.clock()
        while not stopping.wait(poll_s):
            changed = any([self._check(entry) for entry in self.supervised])
            if changed or self.clock() - reported_at >= self.report_every_s:
                self._report()
                reported_at = self.clock()
            if self.rotation is not None and self.clock() - rotated_at >= self.rotate_every_s:
                self.rotate_logs()
                rotated_at = self.clock()

    def rotate_logs(self) -> None:
        """Each child's log over its size rotated (stack/logs.py)."""
        for entry in self.supervised:
            try:
                self.rotation.rotate_if_large(entry.child.log_path)
            except OSError as error:  # a full disk must not stop the supervision
                logger.warning("Could not rotate %s: %s", entry.child.log_path, error)

    def stop_all(self) -> None:
        """Last started, first stopped: the web goes before the workers, the servers they use go last."""
        for entry in reversed(self.supervised):
            entry.state = "stopped"
            try:
                entry.child.stop()
            except Exception:
                logger.exception("Stopping %s failed", entry.child.name)
        self._report()

    def _entry(self, child: Child) -> Supervised:
        entry = Supervised(child=child)
        self.supervised.append(entry)
        return entry

    def _start(self, entry: Supervised) -> None:
        entry.restart_at = None
        entry.started_at = self.clock()
        try:
            entry.child.start()
        except Exception as error:  # noqa: BLE001 - a failed start is one more death, retried after the backoff
            logger.error("Starting %s failed: %s", entry.child.name, error)
            self._died(entry, code=None, error=str(error))
            return
        entry.state = "running" if entry.quick_deaths < FAILING_AFTER else "failing"

    def _check(self, entry: Supervised) -> bool:
        if entry.restart_at is not None:
            if self.clock() < entry.restart_at:
                return False
            entry.restarts += 1
            self._start(entry)
            return True
        code = entry.child.exit_code()
        if code is None:
            if entry.state == "failing" and self.clock() - entry.started_at >= STEADY_AFTER_S:
                entry.state, entry.quick_deaths = "running", 0
                return True
            return False
        self._died(entry, code=code, error=_log_tail(entry.child))
        self.on_death(entry.child)
        return True

    def _died(self, entry: Supervised, *, code: int | None, error: str) -> None:
        ran_s = self.clock() - entry.started_at
        entry.quick_deaths = 0 if ran_s >= STEADY_AFTER_S else entry.quick_deaths + 1
        delay = min(MAX_DELAY_S, FIRST_DELAY_S * 2**entry.quick_deaths)
        entry.last_exit, entry.last_error, entry.exited_at = code, error, time.time()
        entry.state = "failing" if entry.quick_deaths >= FAILING_AFTER else "restarting"
        entry.restart_at = self.clock() + delay
        logger.warning(
            "%s exited (%s) after %.1f s; starting it again in %.1f s (see %s)",
            entry.child.name, _describe_exit(code), ran_s, delay, entry.child.log_path,
        )  # fmt: skip

    def _report(self) -> None:
        try:
            self.report([entry.report() for entry in self.supervised])
        except Exception as error:  # noqa: BLE001 - Redis may be the child that is down; report next time
            logger.debug("Could not report the children's states: %s", error)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not start"
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def _log_tail(child: Child, lines: int = 8, max_chars: int = 1500) -> str:
    try:
        with open(child.log_path, "rb") as log:
            log.seek(0, 2)
            log.seek(max(0, log.tell() - 16384))
            tail = log.read().decode(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join(tail)[-max_chars:]
