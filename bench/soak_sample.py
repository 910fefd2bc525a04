"""One sample of the soak: memory and file descriptors per process kind, disk under the product's VAR_DIR, fps
per stream, events raised and received, the machine's load."""

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.soak_clients import Viewers, WebhookCounter
from bench.soak_setup import StreamSpec, events_raised, statuses
from testbed.live_stack import LiveStack
from testbed.processes_tree import ProcessTree

ROTATED = re.compile(r"\.log(\.\d+)?$")  # name.log and the rotated name.log.1 … (stack/logs.py)


def disk(var_dir: Path) -> dict:
    """MB used under VAR_DIR (blocks on disk, as du counts), per top folder (the database's files as one), and
    under VAR_DIR/logs; and each log's MB with its rotated files (what stack/logs.py caps), wherever the launcher
    writes one (logs/, triton/, valkey/)."""
    parts: dict[str, int] = {}
    logs = 0
    families: dict[str, int] = {}
    for path in var_dir.rglob("*"):
        try:
            stat = path.lstat()
        except FileNotFoundError:  # removed meanwhile (a rotated log, an SQLite journal)
            continue
        if not path.is_file():
            continue
        relative = path.relative_to(var_dir).as_posix()
        part = _part(relative)
        parts[part] = parts.get(part, 0) + stat.st_blocks * 512
        logs += stat.st_size if part == "logs" else 0
        if ROTATED.search(path.name):
            family = re.sub(r"\.\d+$", "", relative)
            families[family] = families.get(family, 0) + stat.st_size
    return {"var_mb": round(sum(parts.values()) / 2**20, 2), "logs_mb": round(logs / 2**20, 3),
            "parts": {name: round(size / 2**20, 2) for name, size in sorted(parts.items())},
            "log_families": {name: round(size / 2**20, 3) for name, size in sorted(families.items())}}  # fmt: skip


def _part(relative: str) -> str:
    top, _, rest = relative.partition("/")
    if rest:
        return top
    return "database" if top.startswith("db.sqlite3") else "other files"


def kinds(tree: ProcessTree) -> dict:
    return {kind: {"processes": u.processes, "pss_mb": round(u.pss_bytes / 2**20, 1),
                   "pss_anon_mb": round(u.pss_anon_bytes / 2**20, 1), "fds": u.fds}
            for kind, u in tree.usage().items()}  # fmt: skip


@dataclass
class Sampler:
    """Takes the samples; keeps what the previous one saw, to turn counters into rates."""

    stack: LiveStack
    tree: ProcessTree
    var_dir: Path
    viewers: Viewers
    receiver: WebhookCounter
    streams: dict[int, StreamSpec]  # stream id -> what was asked
    _marks: dict[int, tuple[float, tuple[float, int] | None, int]] = field(default_factory=dict)

    def sample(self, minute: float) -> dict:
        shown = statuses(self.stack)
        return {
            "minute": round(minute, 2), "at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "load": [round(x, 2) for x in os.getloadavg()], "kinds": kinds(self.tree), "disk": disk(self.var_dir),
            "streams": {spec.name: self._rates(sid) | {"status": shown.get(sid, "?")}
                        for sid, spec in self.streams.items()},
            "events": {"raised": events_raised(self.stack), "received": len(self.receiver.received_events())},
        }  # fmt: skip

    def _rates(self, stream_id: int) -> dict:
        """Processed fps (the metrics' frames_total over their timestamps) and frames the viewer received per
        second, since the previous sample; None when there is nothing to compare (first sample, a restart)."""
        state = self.viewers.states[stream_id]
        now, latest, frames = time.monotonic(), state.latest, state.frames
        before = self._marks.get(stream_id)
        self._marks[stream_id] = (now, latest, frames)
        if before is None:
            return {"fps": None, "ws_fps": None, "connects": state.connects}
        fps = None
        if latest and before[1] and latest[0] > before[1][0] and latest[1] >= before[1][1]:
            fps = round((latest[1] - before[1][1]) / (latest[0] - before[1][0]), 2)
        return {"fps": fps, "ws_fps": round((frames - before[2]) / (now - before[0]), 2), "connects": state.connects}
