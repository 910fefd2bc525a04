"""Child processes that never outlive their parent, and free ports for embedded servers."""

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from workers.hosting.parent_death import set_parent_death_signal

logger = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def spawn(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    cwd: Path | None = None,
    death_signal: int = signal.SIGKILL,
) -> subprocess.Popen:
    """Start a child in its own session (a terminal's Ctrl-C reaches only the launcher, which stops children
    in order) that the kernel kills if this process dies."""
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            list(cmd),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=lambda: set_parent_death_signal(death_signal),
        )
    finally:
        if log_path:
            out.close()


def stop_process(proc: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Signal the child's whole process group, wait, then kill whatever is left."""
    if proc.poll() is None:
        _signal_group(proc, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.warning("Process %s did not stop in %.0f s; killing it", proc.pid, timeout)
    _signal_group(proc, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=5)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.1, what: str = "") -> None:
    """Poll `predicate` until it is true; raise TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"Timed out after {timeout:.0f} s waiting for {what or predicate}")
