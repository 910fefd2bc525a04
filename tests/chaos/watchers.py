"""What the chaos tests watch with: a browser-like WebSocket client, the channel-layer group's origins, and
the process tree under a launcher (read from /proc)."""

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HELD_SHOWN = "running"  # the status that claims frames flow


@dataclass
class StreamWatcher:
    """A browser's view of one stream: /ws/streams/<id>/?size=tile, acking each frame, reconnecting like the
    page does. It records frames and statuses, and the longest time "running" was shown with no frame."""

    url: str
    headers: dict[str, str]
    frames: list[float] = field(default_factory=list)  # monotonic arrival times
    statuses: list[tuple[float, str, str]] = field(default_factory=list)  # (time, status, reason)
    status: str | None = None  # what the page shows now; None while disconnected
    worst_gap_s: float = 0.0  # longest "running" without a frame since the last reset
    worst_gap_at: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _running_since: float = 0.0

    def start(self) -> "StreamWatcher":
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset_worst(self) -> None:
        self.worst_gap_s, self.worst_gap_at = 0.0, 0.0

    def frames_since(self, since: float) -> int:
        return sum(1 for at in list(self.frames) if at > since)

    async def _run(self) -> None:
        import websockets

        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                async with websockets.connect(self.url, additional_headers=self.headers, open_timeout=3,
                                              max_size=8 * 2**20) as ws:  # fmt: skip
                    await ws.send(json.dumps({"type": "ack"}))
                    await self._receive(ws)
            self._show(None, "")
            await asyncio.sleep(0.3)

    async def _receive(self, ws) -> None:  # noqa: ANN001 - a websockets connection
        while not self._stop.is_set():
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=0.1)
            except TimeoutError:
                self._measure()
                continue
            if isinstance(message, bytes):
                self.frames.append(time.monotonic())
                await ws.send(json.dumps({"type": "ack"}))
            else:
                payload = json.loads(message)
                if payload.get("type") == "status":
                    self._show(payload["status"], payload.get("reason", ""))
            self._measure()

    def _show(self, status: str | None, reason: str) -> None:
        now = time.monotonic()
        if status != self.status:
            self._measure()
            self.statuses.append((now, status or "(disconnected)", reason))
            if status == HELD_SHOWN:
                self._running_since = now
        self.status = status

    def _measure(self) -> None:
        if self.status != HELD_SHOWN:
            return
        now = time.monotonic()
        last_frame = self.frames[-1] if self.frames else 0.0
        gap = now - max(last_frame, self._running_since)
        if gap > self.worst_gap_s:
            self.worst_gap_s, self.worst_gap_at = gap, now


def interleaved(origins: list[str]) -> list[str]:
    """Origins that came back after another one had taken over: two pipelines publishing for one stream."""
    runs = [origin for i, origin in enumerate(origins) if i == 0 or origins[i - 1] != origin]
    return sorted({origin for i, origin in enumerate(runs) if origin in runs[:i]})


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the direct children of `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[1]) == pid:
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(stat.parent.name), cmdline))
    return found


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        for child, _ in children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


PROCESS_PATTERNS = {
    "valkey": "valkey-server",
    "triton": "tritonserver",
    "worker": "worker -n streams@",
    "control": "worker -n control@",
    "beat": "workers.celery beat",
    "web": "daphne",
    "deliver": "manage.py deliver",
}


def child_pid(launcher_pid: int, process: str) -> int:
    """The pid of the launcher's child running `process` (a name of stack.roles), now."""
    pattern = PROCESS_PATTERNS[process]
    pids = [pid for pid, cmdline in children(launcher_pid) if pattern in cmdline]
    assert len(pids) == 1, f"{process}: {pids} among {children(launcher_pid)}"
    return pids[0]
