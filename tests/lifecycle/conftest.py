"""Lifecycle tests: their own Triton (they stop it), two worker nodes (they kill them), real RTSP servers.

The stack is session-scoped, not package-scoped: under pytest-xdist a worker whose queue runs dry between two
batches of lifecycle tests would otherwise tear it down and start it again."""

import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stack.processes import free_port, spawn, stop_process, wait_until
from testbed.live_stack import GroupWatcher, LiveStack, start_live_stack

ROOT = Path(__file__).resolve().parents[2]
RTSP_SCRIPT = ROOT / "testbed" / "rtsp_server.py"

pytestmark = [pytest.mark.stack, pytest.mark.lifecycle]


@pytest.fixture(scope="session")
def lifecycle_triton(assets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from stack.triton_server import EmbeddedTriton

    server = EmbeddedTriton(
        venv=ROOT / ".venv-triton",
        onnx_path=assets_dir / "yolo11n_320_dyn.onnx",
        work_dir=tmp_path_factory.mktemp("lifecycle-triton"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def lifecycle_stack(
    lifecycle_triton, assets_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    """Two stream worker nodes (w1 for any stream, w2 also for streams pinned to its 'gpu' queue)."""
    base, _, db = os.environ["REDIS_URL"].rpartition("/")
    stack = start_live_stack(
        work_dir=tmp_path_factory.mktemp("lifecycle"),
        redis_url=f"{base}/{int(db or 0) + 2}",
        triton_url=lifecycle_triton.url,
        assets_dir=assets_dir,
        workers={},
    )
    stack.env["GPU_QUEUE"] = f"gpu-{stack.env['STREAMS_QUEUE']}"
    # A lost camera shows failed after 5 s here (5 minutes by default), reopened at most every 2 s meanwhile.
    stack.env.update(STREAM_SOURCE_FAIL_AFTER_S="5", STREAM_RECONNECT_MAX_S="2")
    stack.start_worker("w1", concurrency=7)
    stack.start_worker("w2", concurrency=5, queues=[stack.env["STREAMS_QUEUE"], stack.env["GPU_QUEUE"]])
    wait_until(lambda: len(stack.api("GET", "/api/workers/").body) == 2, timeout=90, interval=0.2,
               what="both workers to register")
    yield stack
    stack.stop()


@dataclass
class RtspServer:
    """GStreamer's RTSP server on a fixed port: stop() is a camera outage, start() brings it back."""

    port: int
    log_path: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/live"

    def start(self) -> None:
        command = ["/usr/bin/python3", str(RTSP_SCRIPT), "--port", str(self.port)]
        self.proc = spawn(command, env=dict(os.environ), cwd=ROOT, log_path=self.log_path)
        wait_until(self._listening, timeout=15, interval=0.05, what=f"RTSP server on {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def _listening(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"RTSP server exited; see {self.log_path}")
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0


@pytest.fixture
def rtsp_server(tmp_path: Path) -> Iterator[RtspServer]:
    server = RtspServer(port=free_port(), log_path=tmp_path / "rtsp.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_rtsp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspServer]:
    """One camera many streams can watch (a shared encoder), for tests that need many healthy sources."""
    server = RtspServer(port=free_port(), log_path=tmp_path_factory.mktemp("rtsp") / "rtsp.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections and never says a word: the camera that hangs every client."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"rtsp://viewer:secret@127.0.0.1:{listener.getsockname()[1]}/live"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def watch_group(lifecycle_stack: LiveStack) -> Iterator[Callable[[int], GroupWatcher]]:
    watchers: list[GroupWatcher] = []

    def watch(stream_id: int) -> GroupWatcher:
        watcher = GroupWatcher(redis_url=lifecycle_stack.env["REDIS_URL"], group=f"stream-{stream_id}").start()
        watchers.append(watcher)
        return watcher

    yield watch
    for watcher in watchers:
        watcher.stop()


def elapsed_until(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05) -> float:
    """Seconds until `condition` holds (fails the test after `timeout`)."""
    started = time.monotonic()
    wait_until(condition, timeout=timeout, interval=interval, what=what)
    return time.monotonic() - started


def stop_quietly(proc: subprocess.Popen | None) -> None:
    if proc is not None:
        stop_process(proc, timeout=5)
