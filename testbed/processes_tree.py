"""The process tree under a launcher (`python -m stack`), sorted into kinds by command line, and what each kind
holds: proportional set size (PSS: shared pages split between the processes sharing them, so a prefork pool is
not counted once per process), the part of it that is not file pages (anonymous and shared memory: what a leak
grows; the file pages' share moves whenever any other process on the machine maps the same libraries or exits)
and open file descriptors.

It remembers every process it has seen (pid and start time), so that once the launcher is stopped a caller can
tell whether any of them outlived it."""

import contextlib
import signal
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# In the order a report lists them. A stream worker's pool processes are "pool", its main process "stream worker".
KINDS = ("launcher", "valkey", "triton", "web", "stream worker", "pool", "control", "beat", "deliverer", "other")


def kind_of_child(cmdline: list[str]) -> str:
    """The kind of one of the launcher's own children, from its command line (stack/commands.py, stack/valkey.py,
    stack/triton_server.py)."""
    text = f" {' '.join(cmdline)} "
    program = Path(cmdline[0]).name if cmdline else ""
    if "valkey-server" in text:
        return "valkey"
    if "triton" in program or "pytriton" in text or ".venv-triton" in text:
        return "triton"
    if " daphne " in text:
        return "web"
    if " celery " in text and " beat " in text:
        return "beat"
    if " celery " in text and " worker " in text:
        return "stream worker" if " prefork " in text else "control"
    if "manage.py" in text and " deliver " in text:
        return "deliverer"
    return "other"


def kind_of_descendant(child_kind: str) -> str:
    """Below a child: a stream worker's children are its pool; Triton's are its model stubs (still Triton)."""
    return "pool" if child_kind == "stream worker" else child_kind


@dataclass
class KindUsage:
    processes: int = 0
    pss_bytes: int = 0
    pss_anon_bytes: int = 0  # anonymous and shared memory (Pss_Anon + Pss_Shmem): PSS without file pages
    fds: int = 0


def pss_anon_bytes(pid: int) -> int:
    """Pss_Anon + Pss_Shmem of /proc/<pid>/smaps_rollup (Linux 5.7 and later; 0 where the kernel lacks them)."""
    found = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Pss_Anon", "Pss_Shmem"):
            found += int(value.split()[0]) * 1024
    return found


@dataclass
class ProcessTree:
    """The launcher `root_pid` and everything below it, read again at each call (children restart)."""

    root_pid: int
    seen: dict[int, tuple[float, str]] = field(default_factory=dict)  # pid -> (create time, kind)

    def processes(self) -> list[tuple[str, psutil.Process]]:
        """(kind, process) for the launcher and each process below it now."""
        try:
            root = psutil.Process(self.root_pid)
            found = [("launcher", root)]
            children = root.children()
        except psutil.Error:
            return []
        for child in children:
            with contextlib.suppress(psutil.Error):
                kind = kind_of_child(child.cmdline())
                found.append((kind, child))
                found += [(kind_of_descendant(kind), below) for below in child.children(recursive=True)]
        for kind, proc in found:
            with contextlib.suppress(psutil.Error):
                self.seen.setdefault(proc.pid, (proc.create_time(), kind))
        return found

    def usage(self) -> dict[str, KindUsage]:
        """PSS and open file descriptors summed per kind (a process that ends meanwhile is left out)."""
        used = {kind: KindUsage() for kind in KINDS}
        for kind, proc in self.processes():
            try:
                pss, anon, fds = proc.memory_full_info().pss, pss_anon_bytes(proc.pid), proc.num_fds()
            except (psutil.Error, OSError):
                continue
            used[kind].processes += 1
            used[kind].pss_bytes += pss
            used[kind].pss_anon_bytes += anon
            used[kind].fds += fds
        return used

    def seen_per_kind(self) -> dict[str, int]:
        """Processes seen per kind, over the whole run: more than are running means some were started again."""
        counts = dict.fromkeys(KINDS, 0)
        for _, kind in self.seen.values():
            counts[kind] += 1
        return counts

    def survivors(self) -> list[psutil.Process]:
        """Processes of this tree, ever seen, that are still running (the same pid and start time)."""
        alive = []
        for pid, (created, _) in self.seen.items():
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
        return alive

    def kill_survivors(self) -> list[str]:
        """SIGKILL whatever of this tree is still running; returns what it killed ("pid kind: command")."""
        killed = []
        for proc in self.survivors():
            with contextlib.suppress(psutil.Error):
                described = f"{proc.pid} {self.seen[proc.pid][1]}: {' '.join(proc.cmdline())[:120]}"
                proc.send_signal(signal.SIGKILL)
                killed.append(described)
        return killed
