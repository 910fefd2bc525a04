"""What each role runs: `python -m stack ROLE...` starts these processes, in this order, and keeps them running.

A new process of a role is one line in ROLE_PROCESSES and one in PROCESSES.
"""

import signal
from collections.abc import Callable

from stack import commands

ROLE_PROCESSES: dict[str, tuple[str, ...]] = {
    "triton": ("triton",),  # the embedded tritonserver (CPU); GPU hosts run NGC Triton instead (deploy/)
    "worker": ("worker",),  # stream worker node: WORKER_QUEUES, WORKER_CONCURRENCY, WORKER_NAME
    "control": ("control", "beat", "deliver"),  # reconciler (one-slot worker; beat, one holds the lock); deliverer
    "web": ("web",),  # Daphne: pages, API, WebSockets, /metrics
}
ROLES = tuple(ROLE_PROCESSES)
ALL = "all"  # every role on this machine, plus an embedded Valkey when REDIS_URL is empty (`make run`)

PROCESSES: dict[str, Callable[[], list[str]]] = {
    "worker": commands.worker_command,
    "control": commands.control_command,
    "beat": commands.beat_command,
    "deliver": commands.deliver_command,
    "web": commands.web_command,
}
# Celery's warm shutdown waits for the stream tasks, which never end by themselves: a cold one ends them.
STOP_SIGNALS: dict[str, int] = {"worker": signal.SIGQUIT}


def parse_roles(args: list[str]) -> list[str]:
    """The roles named on the command line (`all` when none), in start order; ValueError for an unknown one."""
    names = [name for arg in args for name in arg.replace(",", " ").split()] or [ALL]
    unknown = sorted(set(names) - {*ROLES, ALL})
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join((*ROLES, ALL))}")
    if ALL in names:
        return list(ROLES)
    return [role for role in ROLES if role in names]


def processes_of(roles: list[str]) -> list[str]:
    return [process for role in roles for process in ROLE_PROCESSES[role]]
