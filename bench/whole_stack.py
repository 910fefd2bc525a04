"""The product as `make run` starts it (`python -m stack`: every role as real processes), on its own ports, work
directory, database and Valkey, and what the whole-product benchmark reads from it: CPU by process kind and the
stream workers' proportional set size.

Never touches the machine's shared services: its Valkey is embedded on a free port, Triton is the launcher's
embedded one on free ports, the database is SQLite in the work directory, MQTT is off.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from stack.processes import free_port
from stack.valkey import EmbeddedValkey
from testbed.live_stack import LiveStack, wait_for_launcher

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("workers", "triton", "web", "other", "bench", "machine")
PASSWORD = "bench-password-1"


@dataclass
class ProductUnderTest:
    launcher: subprocess.Popen
    valkey: EmbeddedValkey
    stack: LiveStack
    log: Path
    _cpu_open: dict[int, tuple[str, float]] = field(default_factory=dict)
    _wall_open: float = 0.0

    @classmethod
    def start(cls, *, work_dir: Path, assets_dir: Path, pool_size: int) -> "ProductUnderTest":
        valkey = EmbeddedValkey(work_dir=work_dir / "valkey")
        valkey.start()
        port = free_port()
        env = dict(os.environ)
        env.update(
            VAR_DIR=str(work_dir / "var"), ASSETS_DIR=str(assets_dir), REDIS_URL=valkey.url, TRITON_URL="",
            TRITON_HTTP_PORT="0", TRITON_METRICS_PORT="0", MQTT_URL="", DEMO_STREAMS="0", WEB_PORT=str(port),
            DATABASE_URL=f"sqlite:///{work_dir / 'var' / 'db.sqlite3'}", WORKER_CONCURRENCY=str(pool_size),
            DJANGO_SUPERUSER_USERNAME="admin", DJANGO_SUPERUSER_PASSWORD=PASSWORD, LOG_LEVEL="WARNING",
        )  # fmt: skip
        env.pop("DJANGO_SETTINGS_MODULE", None)
        (work_dir / "var").mkdir(parents=True, exist_ok=True)
        log = work_dir / "launcher.log"
        launcher = subprocess.Popen([sys.executable, "-m", "stack"], env=env, cwd=ROOT, stdout=log.open("wb"),
                                    stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        stack = LiveStack(url=f"http://127.0.0.1:{port}", env=env, assets_dir=assets_dir, log_dir=work_dir,
                          admin_password=PASSWORD)  # fmt: skip
        product = cls(launcher=launcher, valkey=valkey, stack=stack, log=log)
        try:
            wait_for_launcher(launcher, log)
            stack.token = stack.manage("drf_create_token", "admin").split()[2]
        except BaseException:
            product.stop()
            raise
        return product

    def stop(self) -> None:
        if self.launcher.poll() is None:
            self.launcher.send_signal(signal.SIGTERM)
            try:
                self.launcher.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.launcher.pid, signal.SIGKILL)
                self.launcher.wait()
        self.valkey.stop()

    # What the product's processes are and what they cost.

    def processes(self) -> list[tuple[str, psutil.Process]]:
        root = psutil.Process(self.launcher.pid)
        found = [("other", root)]
        for proc in root.children(recursive=True):
            try:
                found.append((kind_of(proc.cmdline()), proc))
            except psutil.Error:
                continue
        if self.valkey.pid:
            found.append(("other", psutil.Process(self.valkey.pid)))
        return found

    def open_cpu_window(self) -> None:
        self._wall_open = time.monotonic()
        self._cpu_open = {-1: ("bench", _cpu(psutil.Process())), -2: ("machine", _machine_busy())}
        for kind, proc in self.processes():
            try:
                self._cpu_open[proc.pid] = (kind, _cpu(proc))
            except psutil.Error:
                continue

    def close_cpu_window(self) -> dict[str, float]:
        """Cores used by each kind of process since open_cpu_window (processes started since count in full)."""
        seconds = time.monotonic() - self._wall_open
        used = dict.fromkeys(KINDS, 0.0)
        used["bench"] = _cpu(psutil.Process()) - self._cpu_open[-1][1]  # the WebSocket clients
        used["machine"] = _machine_busy() - self._cpu_open[-2][1]  # every process, ours or not
        for kind, proc in self.processes():
            try:
                used[kind] += _cpu(proc) - self._cpu_open.get(proc.pid, (kind, 0.0))[1]
            except psutil.Error:
                continue
        return {kind: round(value / seconds, 3) for kind, value in used.items()}

    def worker_pss_mb(self) -> float:
        total = 0
        for kind, proc in self.processes():
            if kind == "workers":
                try:
                    total += proc.memory_full_info().pss
                except psutil.Error:
                    continue
        return total / 2**20


def kind_of(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    if cmdline and ("triton" in Path(cmdline[0]).name or any(m in text for m in ("pytriton", ".venv-triton"))):
        return "triton"
    if "celery" in text and " worker " in f" {text} " and "prefork" in text:
        return "workers"
    if "daphne" in text:
        return "web"
    return "other"


def _machine_busy() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system
