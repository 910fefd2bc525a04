"""What a benchmark child records: frame times and latencies in the measured window, its CPU time and RSS."""

import resource
import threading
import time
from dataclasses import dataclass, field
from typing import Any


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Recorder:
    """Frames finished by the sink; the window opens and closes on the parent's events."""

    opened: Any  # threading.Event or multiprocessing Event
    closed: Any
    frames: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    first_frame_at: float | None = None
    cpu_open: float = 0.0
    cpu_close: float = 0.0
    wall_open: float = 0.0
    wall_close: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def frame(self, grabbed_at: float | None) -> None:
        now = time.time()
        with self._lock:
            if self.first_frame_at is None:
                self.first_frame_at = now
            if self.opened.is_set() and not self.closed.is_set():
                self.frames += 1
                if grabbed_at is not None:
                    self.latencies_ms.append((now - grabbed_at) * 1000)

    def watch_window(self) -> threading.Thread:
        def watch() -> None:
            self.opened.wait()
            self.wall_open, self.cpu_open = time.monotonic(), cpu_seconds()
            self.closed.wait()
            self.wall_close, self.cpu_close = time.monotonic(), cpu_seconds()

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        return thread

    def result(self) -> dict:
        seconds = max(self.wall_close - self.wall_open, 1e-9)
        return {
            "frames": self.frames,
            "fps": self.frames / seconds,
            "cpu_ms_per_frame": (self.cpu_close - self.cpu_open) * 1000 / self.frames if self.frames else None,
            "latencies_ms": self.latencies_ms,
            "rss_mb": rss_mb(),
        }
