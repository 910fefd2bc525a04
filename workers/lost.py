"""Leases held by processes that are gone, let go of at once instead of after their TTL.

A stream's lease names its holder as `<worker node>:<pid>:<token>` (workers/runner.py). When a pool process
dies (the worker's main process sees it at once) or a worker node starts again after its main process was
killed, the leases that its dead processes still hold are released and their streams stepped by the
reconciler right away: the stream shows "starting" and runs again in a second or two, not after the TTL.
Only processes of this node, on this host, whose pid is gone are concerned: a live holder is never touched.
"""

import logging
from collections.abc import Callable
from pathlib import Path

from django.db import connections

from streams import control, reconciler, selectors

logger = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    """False for a pid that does not exist or is a zombie (dead, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def holder_pid(holder: str, node: str) -> int | None:
    """The pid in a lease holder of this node, else None."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != node or not parts[1].isdigit():
        return None
    return int(parts[1])


def release_dead_holders(*, node: str, alive: Callable[[int], bool] = pid_alive) -> list[int]:
    """Release the leases of this node's dead processes and step their streams; returns the stream ids."""
    released = []
    try:
        holders = control.lease_holders(selectors.stream_ids_of_worker(worker=node))
        for stream_id, holder in holders.items():
            pid = None if holder is None else holder_pid(holder, node)
            if pid is None or alive(pid):
                continue
            control.release_lease(stream_id, holder)
            logger.warning("Stream %s: its process %s on %s is gone; starting it again now", stream_id, pid, node)
            reconciler.stream_reconcile(stream_id=stream_id)
            released.append(stream_id)
    finally:
        connections.close_all()  # called from a worker's main process, which forks: leave no connection behind
    return released
