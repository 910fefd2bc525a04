"""Chaos tests: the whole product under its real launcher (`python -m stack`), processes killed with SIGKILL.

They run with `-m chaos` (`.ci/run` runs them after the suite); each prints what it measured (`-s`).
CHAOS_DATABASES (default "sqlite,postgres") names the databases the product runs on, one product per database;
CHAOS_REPEATS (default 2) how many times each process kind is killed in a row; CHAOS_REPORT a Markdown file that
gets the recovery-time distribution and every failure with its logs (`make chaos-report` repeats each 20 times).
"""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stack.processes import free_port, spawn, stop_process, wait_until
from testbed.live_stack import GroupWatcher, LiveStack, wait_for_launcher
from tests.chaos.record import ChaosRecord, write_report
from tests.chaos.watchers import StreamWatcher, child_pid, children

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "chaos-scrape-token"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)
            item.add_marker(pytest.mark.stack)


def product_env(work_dir: Path, assets_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TRITON_URL", "DATABASE_URL")}
    env.update(
        VAR_DIR=str(work_dir), ASSETS_DIR=str(assets_dir), DEMO_STREAMS="0", DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_PASSWORD="test-password-1", METRICS_TOKEN=METRICS_TOKEN, WORKER_CONCURRENCY="3",
        TRITON_INSTANCE_COUNT="1", **extra,
    )  # fmt: skip
    return env


@dataclass
class Product:
    """`python -m stack` (all roles, embedded Valkey and Triton) and a LiveStack view of it for the API."""

    launcher: subprocess.Popen
    stack: LiveStack
    log_path: Path
    database: str

    def pid_of(self, process: str) -> int:
        return child_pid(self.launcher.pid, process)

    def redis_url(self) -> str:
        title = next(cmd for _, cmd in children(self.launcher.pid) if "valkey-server" in cmd)
        address = re.search(r"127\.0\.0\.1:\d+", title).group(0)
        return f"redis://{address}/0"


DATABASES = [name for name in os.environ.get("CHAOS_DATABASES", "sqlite,postgres").split(",") if name]
PG_URL = os.environ.get("CHAOS_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="package", params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The product's database: `make run`'s own SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield {"name": "sqlite"}
        return
    import psycopg

    name = f"chaos_{os.getpid()}"
    admin_url = PG_URL.rpartition("/")[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield {"name": "postgres", "DATABASE_URL": f"{PG_URL.rpartition('/')[0]}/{name}"}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="package")
def product(assets_dir: Path, database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    work_dir = tmp_path_factory.mktemp(f"chaos-{database['name']}")
    port = free_port()
    extra = {k: v for k, v in database.items() if k != "name"}
    env = product_env(work_dir, assets_dir, WEB_PORT=str(port), NODE_HOST="chaos-host", **extra)
    log_path = work_dir / "launcher.log"
    launcher = spawn([sys.executable, "-m", "stack"], env=env, cwd=ROOT, log_path=log_path)
    try:
        wait_for_launcher(launcher, log_path, timeout=120)
        stack = LiveStack(url=f"http://127.0.0.1:{port}", env=env, assets_dir=assets_dir, log_dir=work_dir / "logs")
        product = Product(launcher=launcher, stack=stack, log_path=log_path, database=database["name"])
        stack.env["REDIS_URL"] = product.redis_url()
        stack.token = stack.manage("drf_create_token", "admin").split()[2]
        yield product
    finally:
        stop_process(launcher, sig=2, timeout=60)  # Ctrl-C, as an operator stops it


@dataclass
class WatchedStream:
    stream_id: int
    watcher: StreamWatcher
    origins: GroupWatcher


@pytest.fixture(scope="package")
def watched_stream(product: Product, assets_dir: Path) -> Iterator[WatchedStream]:
    """One stream running (a looping file at 5 fps), watched by a WebSocket client and on the channel layer."""
    stack = product.stack
    response = stack.api("POST", "/api/streams/", {"name": "chaos", "source": str(assets_dir / "traffic_highway.mp4"),
                                                   "max_fps": 5})  # fmt: skip
    assert response.status == 201, response.body
    stream_id = response.body["id"]
    stack.wait_for_status(stream_id, "running", timeout=60)
    headers = {"Cookie": stack.session_cookie(), "Origin": stack.url}
    watcher = StreamWatcher(url=f"{stack.ws_base}/ws/streams/{stream_id}/?size=tile", headers=headers).start()
    origins = GroupWatcher(redis_url=stack.env["REDIS_URL"], group=f"stream-{stream_id}").start()
    wait_until(lambda: watcher.frames and origins.origins_since(0), timeout=20, what="frames and metrics to flow")
    yield WatchedStream(stream_id=stream_id, watcher=watcher, origins=origins)
    watcher.stop()
    origins.stop()


def wait_for_frames(watcher: StreamWatcher, *, since: float, timeout: float) -> float:
    """Seconds from `since` until the watcher gets frames again (three, so a straggler does not count)."""
    wait_until(lambda: watcher.frames_since(since) >= 3, timeout=timeout, interval=0.05,
               what=f"frames again (statuses {watcher.statuses[-4:]})")  # fmt: skip
    return [at for at in watcher.frames if at > since][0] - since


def now() -> float:
    return time.monotonic()


REPEATS = int(os.environ.get("CHAOS_REPEATS", "2"))


@pytest.fixture(scope="session")
def chaos_record() -> Iterator[ChaosRecord]:
    record = ChaosRecord()
    yield record
    print("\n" + "\n".join(record.table()))
    if os.environ.get("CHAOS_REPORT"):
        write_report(record, Path(os.environ["CHAOS_REPORT"]))
