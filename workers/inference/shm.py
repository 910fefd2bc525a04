"""System shared memory for Triton inputs when the server runs on this host: no pixels over the socket.

One region per client thread, named `sv_<host>_<pid>_<random>` so that regions left by a crashed process can
be recognised (same host, dead pid) and removed: both the /dev/shm file and the server's registration.
Plain files under /dev/shm plus mmap, not multiprocessing.shared_memory: that one starts a resource-tracker
process, and Celery's daemonic pool processes must not start children.
"""

import atexit
import contextlib
import hashlib
import logging
import mmap
import os
import re
import secrets
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tritonclient.http import InferenceServerClient

logger = logging.getLogger(__name__)
SHM_DIR = Path("/dev/shm")
PREFIX = "sv_"
_NAME = re.compile(rf"^{PREFIX}(?P<host>[0-9a-f]{{8}})_(?P<pid>\d+)_[0-9a-f]+$")
_live: set["SharedInput"] = set()
_live_lock = threading.Lock()


def host_tag() -> str:
    """Short, stable id of this host, so that a server shared by several hosts never mixes up their pids."""
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


class SharedInput:
    """A region registered with one Triton server; write a batch into it, then point an InferInput at it."""

    def __init__(self, client: "InferenceServerClient", byte_size: int) -> None:
        self.name = f"{PREFIX}{host_tag()}_{os.getpid()}_{secrets.token_hex(4)}"
        self.byte_size = byte_size
        self._path = SHM_DIR / self.name
        fd = os.open(self._path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.ftruncate(fd, byte_size)
            self._map = mmap.mmap(fd, byte_size)
        finally:
            os.close(fd)
        with _live_lock:
            _live.add(self)
        try:
            # The server opens the same key: this fails (no such file there) when it runs on another host.
            client.register_system_shared_memory(self.name, f"/{self.name}", byte_size)
        except Exception:
            self.destroy()
            raise

    def write(self, batch: np.ndarray) -> int:
        """Copy `batch` to the start of the region; returns its size in bytes."""
        if batch.nbytes > self.byte_size:
            raise ValueError(f"batch of {batch.nbytes} bytes exceeds the {self.byte_size}-byte region")
        view = np.frombuffer(self._map, dtype=batch.dtype, count=batch.size).reshape(batch.shape)
        np.copyto(view, batch)
        return batch.nbytes

    def close(self, client: "InferenceServerClient | None") -> None:
        """Unregister from the server (when its client is at hand) and remove the region."""
        if client is not None:
            with contextlib.suppress(Exception):  # the server may be gone already; the file goes anyway
                client.unregister_system_shared_memory(self.name)
        self.destroy()

    def destroy(self) -> None:
        with _live_lock:
            _live.discard(self)
        with contextlib.suppress(BufferError, ValueError):
            self._map.close()
        self._path.unlink(missing_ok=True)


def reap_stale(client: "InferenceServerClient") -> int:
    """Remove regions of dead processes on this host, on the server and in /dev/shm; returns how many."""
    removed = 0
    with contextlib.suppress(Exception):  # status is best effort: a server without shm support has none
        for region in client.get_system_shared_memory_status():
            name = region.get("name", "")
            if _is_stale(name):
                client.unregister_system_shared_memory(name)
                removed += 1
    for path in SHM_DIR.glob(f"{PREFIX}*"):
        if _is_stale(path.name):
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        logger.info("Removed %s stale shared-memory regions", removed)
    return removed


def _is_stale(name: str) -> bool:
    match = _NAME.match(name)
    if match is None or match["host"] != host_tag():
        return False
    return not _pid_alive(int(match["pid"]))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@atexit.register
def _remove_at_exit() -> None:
    # A clean exit leaves no files; the server's registrations go with the next reap_stale (pid is dead).
    with _live_lock:
        regions = list(_live)
    for region in regions:
        region.destroy()
