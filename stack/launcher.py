"""`python -m stack [ROLE...]`: one host's share of the product, kept running.

`all` (what `make run` starts) is every role on this machine with the embedded defaults: Valkey when REDIS_URL
is empty, Triton when TRITON_URL is empty, and `manage.py bootstrap` first; it prints the URL and the login.
A role alone (web, worker, control, triton) is configured only through the environment (docs/operations.md).
Children run in their own sessions with a parent-death signal, so none outlives the launcher, even when the
launcher itself is killed; a child that dies is started again (stack.supervisor).
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

import redis
from django.conf import settings

from stack import roles as role_table
from stack.assets import DEMO_VIDEOS, AssetsMissing, ensure_assets
from stack.children import BASE_DIR, Child, CommandChild, ServerChild
from stack.commands import worker_node_name
from stack.logs import LogRotation
from stack.processes import wait_until
from stack.supervisor import Supervisor
from stack.triton_server import EmbeddedTriton
from stack.valkey import EmbeddedValkey
from streams import control, supervision
from workers.hosting.lost import release_dead_leases

logger = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    """A role cannot start with this environment; the message says which variable to set."""


@dataclass
class Launcher:
    log_dir: Path
    roles: list[str] = field(default_factory=lambda: list(role_table.ROLES))
    everything: bool = True  # `all`: embedded servers when not configured, bootstrap, the URL and login
    stopping: threading.Event = field(default_factory=threading.Event)
    servers: list[ServerChild] = field(default_factory=list)
    supervisor: Supervisor | None = None

    def run(self) -> int:
        started = time.monotonic()
        try:
            self._check_configuration()
            self._fetch_assets()
        except (AssetsMissing, ConfigurationError) as error:
            print(error, file=sys.stderr)
            return 2
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        try:
            env = self._start_servers()
            login = self._bootstrap(env) if self.everything else None
            self._start_processes(env)
            if "web" in self.roles:
                wait_until(self._web_answers, timeout=60, what="the web server")
            self._announce(login, time.monotonic() - started)
            self.supervisor.run(self.stopping)
            print("\nStopping…", flush=True)
            return 0
        finally:
            self.shutdown()

    def _check_configuration(self) -> None:
        if self.everything:
            return
        if not settings.REDIS_URL and set(self.roles) & {"web", "worker", "control"}:
            raise ConfigurationError("Set REDIS_URL (redis://host:6379/0): the roles web, worker and control share it.")
        if "worker" in self.roles and "triton" not in self.roles and not settings.TRITON_URL:
            raise ConfigurationError("Set TRITON_URL (host:port of Triton's HTTP endpoint) for the worker role.")

    def _fetch_assets(self) -> None:
        names = [settings.YOLO_MODEL_FILE] if self._embeds_triton() else []
        names += list(DEMO_VIDEOS) if self.everything and settings.DEMO_STREAMS else []
        ensure_assets(names, assets_dir=Path(settings.ASSETS_DIR), assets_url=settings.ASSETS_URL)

    def _embeds_triton(self) -> bool:
        return "triton" in self.roles and not (self.everything and settings.TRITON_URL)

    def _start_servers(self) -> dict[str, str]:
        """Embedded servers start (and are waited for) before the processes that use them."""
        env = dict(os.environ)
        if self.everything and not settings.REDIS_URL:
            valkey = EmbeddedValkey(work_dir=Path(settings.VAR_DIR) / "valkey")
            valkey.start()
            self.servers.append(ServerChild("valkey", valkey))
            env["REDIS_URL"] = valkey.url
        if self._embeds_triton():
            triton = self._triton()
            triton.start()  # from the main thread: a parent-death signal fires when the spawning *thread* ends
            self.servers.append(ServerChild("triton", triton))
            if not settings.TRITON_URL:
                env["TRITON_URL"] = triton.url
            env.setdefault("TRITON_METRICS_URL", triton.metrics_url)
        return env

    def _triton(self) -> EmbeddedTriton:
        return EmbeddedTriton(
            venv=Path(settings.TRITON_VENV),
            onnx_path=Path(settings.ASSETS_DIR) / settings.YOLO_MODEL_FILE,
            work_dir=Path(settings.VAR_DIR) / "triton",
            model_name=settings.TRITON_MODEL_NAME,
            max_batch_size=settings.TRITON_MAX_BATCH_SIZE,
            queue_delay_us=settings.TRITON_MAX_QUEUE_DELAY_US,
            instance_count=settings.TRITON_INSTANCE_COUNT,
            ort_threads=settings.TRITON_ORT_THREADS,
            postprocess=settings.TRITON_POSTPROCESS,
            listen_host=settings.TRITON_LISTEN_HOST,
            http_port=settings.TRITON_HTTP_PORT,
            metrics_port=settings.TRITON_METRICS_PORT,
        )

    def _bootstrap(self, env: dict[str, str]) -> dict:
        result = subprocess.run(
            [sys.executable, str(BASE_DIR / "manage.py"), "bootstrap"],
            env=env, cwd=BASE_DIR, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"Preparing the database failed:\n{result.stderr[-4000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def _start_processes(self, env: dict[str, str]) -> None:
        children: list[Child] = list(self.servers)
        for name in role_table.processes_of(self.roles):
            if name in role_table.PROCESSES:
                children.append(self._command_child(name, env))
        client = self._redis(env.get("REDIS_URL", ""))
        rotation = LogRotation(max_bytes=int(settings.LOG_MAX_MB * 2**20), keep=settings.LOG_KEEP)
        self.supervisor = Supervisor(children=children, report=self._reporter(client), on_death=self._on_death(client),
                                     rotation=rotation)
        self.supervisor.start_all()

    def _command_child(self, name: str, env: dict[str, str]) -> CommandChild:
        return CommandChild(
            name=name, command=role_table.PROCESSES[name], env=env, log_path=self.log_dir / f"{name}.log",
            stop_signal=role_table.STOP_SIGNALS.get(name, signal.SIGTERM),
        )  # fmt: skip

    @staticmethod
    def _redis(url: str) -> redis.Redis | None:
        return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=0.5) if url else None

    def _reporter(self, client: redis.Redis | None):  # noqa: ANN205 - the supervisor's report callback
        if client is None:
            return lambda states: None
        host, roles = settings.NODE_HOST, list(self.roles)
        return lambda states: supervision.host_report(host=host, roles=roles, children=states, client=client)

    @staticmethod
    def _on_death(client: redis.Redis | None):  # noqa: ANN205 - the supervisor's death callback
        """A stream worker's main process died, and its pool processes with it: their leases go now, so no
        page shows their streams running meanwhile and the reconciler starts them at its next pass."""
        node = worker_node_name()

        def released(child: Child) -> None:
            if child.name != "worker" or client is None:
                return
            deadline = time.monotonic() + 1.0
            try:
                while True:
                    release_dead_leases(node=node, client=client)
                    if not control.leases_of_node(node, client=client) or time.monotonic() > deadline:
                        return
                    time.sleep(0.1)  # its pool processes got SIGKILL as it died: a moment until they are gone
            except redis.RedisError as error:
                logger.warning("Could not release %s's leases: %s", node, error)

        return released

    def _web_answers(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{base_url()}/accounts/login/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _announce(self, login: dict | None, elapsed: float) -> None:
        if login is None:
            print(f"\n  {settings.NODE_HOST}: {', '.join(self.roles)} running ({elapsed:.1f} s); Ctrl-C stops them.\n",
                  flush=True)  # fmt: skip
            return
        password = login["password"] or "(unchanged; set DJANGO_SUPERUSER_PASSWORD to reset it)"
        print(
            f"\n  StreamVision is running ({elapsed:.1f} s): {base_url()}/\n"
            f"  Login: {login['username']} / {password}\n"
            f"  Logs: {self.log_dir}/  — press Ctrl-C to stop everything.\n",
            flush=True,
        )

    def shutdown(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop_all()
        else:
            for server in reversed(self.servers):
                server.stop()


def base_url() -> str:
    return f"http://{settings.WEB_HOST}:{settings.WEB_PORT}"
