"""The product under the soak, as `make run` starts it: `python -m stack` (every role, embedded Valkey and Triton,
SQLite), in a VAR_DIR of its own, without demo streams, driven through the API with the admin's token; stopped
with SIGINT (Ctrl-C, as an operator stops it), then checked for processes left behind."""

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from stack.processes import free_port, spawn, stop_process, wait_until
from testbed.live_stack import LiveStack, wait_for_launcher
from testbed.processes_tree import ProcessTree

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "soak-password-1"
# What the machine's shell may carry that would point the product at shared services instead of its own.
NOT_INHERITED = ("REDIS_URL", "TRITON_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "MQTT_URL", "TRITON_METRICS_URL")


@dataclass
class SoakProduct:
    launcher: subprocess.Popen
    stack: LiveStack
    var_dir: Path
    log_path: Path  # the launcher's own output (a terminal's, under `make run`)
    tree: ProcessTree

    @classmethod
    def start(cls, *, work_dir: Path, assets_dir: Path, streams: int, caps: dict[str, float]) -> "SoakProduct":
        """`caps`: the settings the report judges disk against (LOG_MAX_MB, LOG_KEEP, EVENTS_MEDIA_MAX_MB), set
        here so that the product runs with the values the report names."""
        var_dir = work_dir / "var"
        var_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env.update(
            VAR_DIR=str(var_dir), ASSETS_DIR=str(assets_dir), DEMO_STREAMS="0", WEB_PORT=str(port),
            DJANGO_SUPERUSER_USERNAME="admin", DJANGO_SUPERUSER_PASSWORD=PASSWORD, NODE_HOST="soak-host",
            WORKER_CONCURRENCY=str(streams), **{name: f"{value:g}" for name, value in caps.items()},
        )  # fmt: skip
        log_path = work_dir / "launcher.log"
        launcher = spawn([sys.executable, "-m", "stack"], env=env, cwd=ROOT, log_path=log_path)
        stack = LiveStack(url=f"http://127.0.0.1:{port}", env=env, assets_dir=assets_dir, log_dir=var_dir / "logs",
                          admin_password=PASSWORD)  # fmt: skip
        product = cls(launcher=launcher, stack=stack, var_dir=var_dir, log_path=log_path,
                      tree=ProcessTree(launcher.pid))  # fmt: skip
        try:
            wait_for_launcher(launcher, log_path)
            product.tree.processes()  # remember every process now, in case the run ends before the first sample
            stack.token = stack.manage("drf_create_token", "admin").split()[2]
        except BaseException:
            product.stop()
            raise
        return product

    def stop(self) -> list[str]:
        """Ctrl-C to the launcher, which stops its children; then kill (and return) any process of its tree that
        is still running: the soak must leave nothing behind, and the report says if it had to."""
        self.tree.processes()
        stop_process(self.launcher, sig=signal.SIGINT, timeout=90)
        with contextlib.suppress(TimeoutError):  # what is left is killed below, and reported
            wait_until(lambda: not self.tree.survivors(), timeout=10, interval=0.2, what="the children to exit")
        return self.tree.kill_survivors()
