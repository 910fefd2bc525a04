"""`make run`: starts every process of the product, prints the URL and the login, and stops them all on Ctrl-C.

Children run in their own sessions with a parent-death signal, so none outlives the launcher, even when the
launcher itself is killed.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from stack.assets import DEMO_VIDEOS, AssetsMissing, ensure_assets
from stack.processes import spawn, stop_process, wait_until
from stack.triton_server import EmbeddedTriton
from stack.valkey import EmbeddedValkey

logger = logging.getLogger(__name__)
BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Launcher:
    log_dir: Path
    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    valkey: EmbeddedValkey | None = None
    triton: EmbeddedTriton | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> int:
        started = time.monotonic()
        try:
            self._fetch_assets()
        except AssetsMissing as error:
            print(error, file=sys.stderr)
            return 2
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        try:
            env = self._start_servers()
            login = self._bootstrap(env)
            self._start_app(env)
            self._announce(login, time.monotonic() - started)
            return self._supervise()
        finally:
            self.shutdown()

    def _fetch_assets(self) -> None:
        names = [settings.YOLO_MODEL_FILE] + (list(DEMO_VIDEOS) if settings.DEMO_STREAMS else [])
        ensure_assets(names, assets_dir=Path(settings.ASSETS_DIR), assets_url=settings.ASSETS_URL)

    def _start_servers(self) -> dict[str, str]:
        env = dict(os.environ)
        if not settings.REDIS_URL:
            self.valkey = EmbeddedValkey(work_dir=Path(settings.VAR_DIR) / "valkey")
            self.valkey.start()
            env["REDIS_URL"] = self.valkey.url
        if not settings.TRITON_URL:
            self.triton = EmbeddedTriton(
                venv=Path(settings.TRITON_VENV),
                onnx_path=Path(settings.ASSETS_DIR) / settings.YOLO_MODEL_FILE,
                work_dir=Path(settings.VAR_DIR) / "triton",
                model_name=settings.TRITON_MODEL_NAME,
                max_batch_size=settings.TRITON_MAX_BATCH_SIZE,
                queue_delay_us=settings.TRITON_MAX_QUEUE_DELAY_US,
                instance_count=settings.TRITON_INSTANCE_COUNT,
                ort_threads=settings.TRITON_ORT_THREADS,
                postprocess=settings.TRITON_POSTPROCESS,
            )
            # From the main thread: a parent-death signal fires when the spawning *thread* ends.
            self.triton.start()
            env["TRITON_URL"] = self.triton.url
        return env

    def _bootstrap(self, env: dict[str, str]) -> dict:
        result = subprocess.run(
            [sys.executable, str(BASE_DIR / "manage.py"), "bootstrap"],
            env=env, cwd=BASE_DIR, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"Preparing the database failed:\n{result.stderr[-4000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def _start_app(self, env: dict[str, str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.children["worker"] = spawn(worker_command(), env=env, cwd=BASE_DIR, log_path=self.log_dir / "worker.log")
        self.children["control"] = spawn(
            control_command(schedule=Path(settings.VAR_DIR) / "celerybeat-schedule"),
            env=env, cwd=BASE_DIR, log_path=self.log_dir / "control.log",
        )
        self.children["deliver"] = spawn(
            deliver_command(), env=env, cwd=BASE_DIR, log_path=self.log_dir / "deliver.log"
        )
        self.children["web"] = spawn(web_command(), env=env, cwd=BASE_DIR, log_path=self.log_dir / "web.log")
        wait_until(self._web_answers, timeout=60, what="the web server")

    def _web_answers(self) -> bool:
        import urllib.request

        if self.children["web"].poll() is not None:
            raise RuntimeError(f"The web server exited; see {self.log_dir / 'web.log'}")
        try:
            with urllib.request.urlopen(f"{base_url()}/accounts/login/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _announce(self, login: dict, elapsed: float) -> None:
        password = login["password"] or "(unchanged; set DJANGO_SUPERUSER_PASSWORD to reset it)"
        print(
            f"\n  StreamVision is running ({elapsed:.1f} s): {base_url()}/\n"
            f"  Login: {login['username']} / {password}\n"
            f"  Logs: {self.log_dir}/  — press Ctrl-C to stop everything.\n",
            flush=True,
        )

    def _supervise(self) -> int:
        while not self.stopping.wait(1.0):
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    print(f"The {name} process exited ({proc.returncode}); stopping. See {self.log_dir}/{name}.log")
                    return 1
        print("\nStopping…", flush=True)
        return 0

    def shutdown(self) -> None:
        # Celery's warm shutdown waits for tasks that never end: a cold one (SIGQUIT) ends them.
        if "worker" in self.children:
            stop_process(self.children.pop("worker"), sig=signal.SIGQUIT, timeout=10)
        for name in list(self.children):
            stop_process(self.children.pop(name), sig=signal.SIGTERM, timeout=10)
        if self.triton is not None:
            self.triton.stop()
        if self.valkey is not None:
            self.valkey.stop()


def base_url() -> str:
    return f"http://{settings.WEB_HOST}:{settings.WEB_PORT}"


def worker_command(
    *, concurrency: int | None = None, queues: list[str] | None = None, name: str = "streams@%h"
) -> list[str]:
    """A stream worker node: one pool process per stream it can run."""
    queues = queues or [settings.STREAMS_QUEUE, *settings.WORKER_QUEUES]
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery", "worker", "-n", name,
        "-Q", ",".join(queues), "--pool", "prefork",
        "--concurrency", str(concurrency or settings.WORKER_CONCURRENCY),
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-O", "fair",
        "--loglevel", settings.LOG_LEVEL,
    ]


def control_command(*, schedule: Path, queue: str | None = None, name: str = "control@%h") -> list[str]:
    """The reconciler: Celery beat plus a one-slot worker on the control queue (one per deployment)."""
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery", "worker", "-n", name,
        "-Q", queue or settings.CONTROL_QUEUE, "--pool", "solo", "--beat", "--schedule", str(schedule),
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", settings.LOG_LEVEL,
    ]


def deliver_command(*, name: str = "") -> list[str]:
    """The deliverer (events.deliverer): webhooks and MQTT from the outbox; any number may run."""
    return [sys.executable, str(BASE_DIR / "manage.py"), "deliver", *(["--name", name] if name else [])]


def web_command(*, host: str | None = None, port: int | None = None) -> list[str]:
    return [
        sys.executable, "-m", "daphne", "-b", host or settings.WEB_HOST, "-p", str(port or settings.WEB_PORT),
        "dashboard.asgi:application",
    ]
