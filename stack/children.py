"""The launcher's children: a command it spawns, or an embedded server (Valkey, Triton) it starts again on
the same ports. Every child is spawned from the launcher's main thread, with a parent-death signal."""

import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from stack.processes import spawn, stop_process

BASE_DIR = Path(__file__).resolve().parent.parent


class Child(Protocol):
    name: str
    log_path: Path

    def start(self) -> None: ...

    def exit_code(self) -> int | None:
        """None while it runs; its exit status once it has ended."""

    def stop(self) -> None: ...

    @property
    def pid(self) -> int | None: ...


@dataclass
class CommandChild:
    """A process started from a command line, with its output appended to `log_path`."""

    name: str
    command: Callable[[], list[str]]
    env: Mapping[str, str]
    log_path: Path
    stop_signal: int = signal.SIGTERM
    stop_timeout_s: float = 10.0
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = spawn(self.command(), env=self.env, cwd=BASE_DIR, log_path=self.log_path)

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, sig=self.stop_signal, timeout=self.stop_timeout_s)

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid


class EmbeddedServer(Protocol):
    def launch(self) -> None: ...

    def stop(self) -> None: ...

    def exit_code(self) -> int | None: ...

    @property
    def pid(self) -> int | None: ...

    @property
    def log_path(self) -> Path: ...


@dataclass
class ServerChild:
    """An embedded server the launcher started (and waited for) before the others: a restart launches it again
    on the same port, so every client reconnects to the address it already has."""

    name: str
    server: EmbeddedServer

    @property
    def log_path(self) -> Path:
        return self.server.log_path

    def start(self) -> None:
        if self.server.pid is not None and self.server.exit_code() is None:
            return  # started (and waited for) by the launcher before the other children
        self.server.stop()  # reaps the dead process and removes what it left (Triton's shared memory)
        self.server.launch()

    def exit_code(self) -> int | None:
        return self.server.exit_code()

    def stop(self) -> None:
        self.server.stop()

    @property
    def pid(self) -> int | None:
        return self.server.pid
