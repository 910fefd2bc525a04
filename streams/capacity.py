"""Worker slots per queue, from the worker registry and the leases: why a stream is still waiting for a worker.

A stream waits in its queue when every slot of the live workers consuming that queue is busy ("waiting: 6 of 6
slots busy on queue streams") or when no live worker consumes it at all ("no worker consumes queue gpu"). The
reconciler shows that as the stream's reason and keeps the queued task's dispatch ticket alive meanwhile, so the
task is not queued again and again while it waits.
"""

from dataclasses import dataclass, field

from streams import control
from streams.models import Stream, WorkerNode


@dataclass
class Capacity:
    """One look at the registry and the leases, asked about as many queues as needed (one reconciler pass)."""

    holders: dict[int, str | None] | None = None  # the pass's leases, if it read them already
    _nodes: list[WorkerNode] | None = field(default=None, repr=False)
    _busy: dict[str, int] | None = field(default=None, repr=False)

    def waiting_reason(self, queue: str) -> str:
        """Why a run task on `queue` cannot be taken now, or "" if a live worker has a free slot."""
        nodes = [node for node in self._live_nodes() if queue in node.queues]
        if not nodes:
            return f"no worker consumes queue {queue}"
        busy_by_node = self._busy_by_node()
        slots = sum(node.capacity for node in nodes)
        busy = sum(busy_by_node.get(node.name, 0) for node in nodes)
        return f"waiting: {busy} of {slots} slots busy on queue {queue}" if busy >= slots else ""

    def _live_nodes(self) -> list[WorkerNode]:
        if self._nodes is None:
            self._nodes = [node for node in WorkerNode.objects.all() if node.is_alive]
        return self._nodes

    def _busy_by_node(self) -> dict[str, int]:
        """Leases held per worker node: a holder is "<node name>:<pid>:<id>"."""
        if self._busy is None:
            holders = self.holders
            if holders is None:
                holders = control.lease_holders(list(Stream.objects.values_list("pk", flat=True)))
            self._busy = {}
            for holder in holders.values():
                if holder:
                    node = holder.rsplit(":", 2)[0]
                    self._busy[node] = self._busy.get(node, 0) + 1
        return self._busy


def is_capacity_reason(reason: str) -> bool:
    return reason.startswith(("waiting: ", "no worker consumes queue "))
