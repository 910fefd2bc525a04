"""Leases held by processes that are gone, let go of at once instead of after their TTL.

A stream's lease names its holder as `<worker node>:<pid>:<token>` (workers/hosting/runner.py). When a pool process
dies (the worker's main process sees it at once), when the launcher sees a worker's main process die (its pool
processes die with it), or when a worker node starts again after its main process was killed, the leases its
dead processes still hold are released; the worker steps their streams right away, the launcher leaves that to
the reconciler's next pass. Meanwhile nothing shows them running (streams.selectors.streams_shown). Only
processes of this node, on this host, whose pid is gone are concerned: a live holder is never touched.
"""

import logging
from collections.abc import Callable
from pathlib import Path

import redis
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


def release_dead_leases(
    *, node: str, alive: Callable[[int], bool] = pid_alive, client: redis.Redis | None = None
) -> list[int]:
    """Release the leases this node's dead processes hold (Redis only); returns their stream ids."""
    released = []
    for stream_id, holder in sorted(control.leases_of_node(node, client=client).items()):
        pid = holder_pid(holder, node)
        if pid is None or alive(pid):
            continue
        control.release_lease(stream_id, holder, client=client)
        logger.warning("Stream %s: its process %s on %s is gone; its lease is released", stream_id, pid, node)
        released.append(stream_id)
    return released


def release_dead_holders(*, node: str, alive: Callable[[int], bool] = pid_alive) -> list[int]:
    """Release the leases of this node's dead processes, then step every stream this node ran that nobody holds
    now (the launcher may have released their leases already); returns the ids of the streams stepped."""
    try:
        release_dead_leases(node=node, alive=alive)
        holders = control.lease_holders(selectors.stream_ids_of_worker(worker=node))
        orphans = sorted(stream_id for stream_id, holder in holders.items() if holder is None)
        for stream_id in orphans:
            reconciler.stream_reconcile(stream_id=stream_id)
    finally:
        connections.close_all()  # called from a worker's main process, which forks: leave no connection behind
    return orphans
