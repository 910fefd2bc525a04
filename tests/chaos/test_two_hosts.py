"""Two worker hosts on one machine, each with its own node name, its own Triton and its own /dev/shm (a private
mount namespace, as on separate machines), sharing the database and Redis with a web + control host. Every
process of host A is killed: its streams run on host B within 15 s, through host B's Triton."""

import json
import os
import secrets
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from stack.processes import free_port, spawn, stop_process, wait_until
from testbed.live_stack import LiveStack
from tests.chaos.conftest import product_env
from tests.chaos.watchers import descendants
from yolo_triton.admin import TritonAdmin

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Host:
    name: str
    launcher: object
    triton_url: str
    log_path: Path

    def shm_regions(self) -> list[str]:
        with urllib.request.urlopen(f"http://{self.triton_url}/v2/systemsharedmemory/status", timeout=5) as response:
            return [region["name"] for region in json.loads(response.read())]

    def inferences(self) -> int:
        return sum(int(s.get("inference_count", 0)) for s in TritonAdmin(self.triton_url, timeout_s=5).statistics())


def _shared_env(work_dir: Path, assets_dir: Path) -> dict[str, str]:
    base, _, db = os.environ["REDIS_URL"].rpartition("/")
    return product_env(
        work_dir, assets_dir, REDIS_URL=f"{base}/{int(db or 0) + 3}",
        DATABASE_URL=f"sqlite:///{work_dir / 'db.sqlite3'}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50), STREAMS_QUEUE=f"streams-2h-{free_port()}",
        CONTROL_QUEUE=f"control-2h-{free_port()}",
    )  # fmt: skip


def _start_host(name: str, env: dict[str, str], work_dir: Path) -> Host:
    """`python -m stack worker triton` with a /dev/shm of its own, like a separate machine."""
    port = free_port()
    host_env = {**env, "NODE_HOST": name, "VAR_DIR": str(work_dir / name), "TRITON_HTTP_PORT": str(port),
                "TRITON_METRICS_PORT": str(free_port()), "TRITON_URL": f"127.0.0.1:{port}", "WORKER_CONCURRENCY": "2"}
    shell = f"mount -t tmpfs -o size=512m tmpfs /dev/shm && exec {sys.executable} -m stack worker triton"
    log_path = work_dir / f"{name}.log"
    launcher = spawn(["unshare", "--mount", "--propagation", "private", "sh", "-c", shell], env=host_env, cwd=ROOT,
                     log_path=log_path)  # fmt: skip
    wait_until(lambda: "triton, worker running" in log_path.read_text(errors="replace") or launcher.poll() is not None,
               timeout=90, interval=0.2, what=f"{name}'s launcher")  # fmt: skip
    assert launcher.poll() is None, log_path.read_text()[-3000:]
    return Host(name=name, launcher=launcher, triton_url=f"127.0.0.1:{port}", log_path=log_path)


@pytest.fixture
def two_hosts(assets_dir: Path, tmp_path: Path) -> Iterator[tuple[LiveStack, Host, dict]]:
    env = _shared_env(tmp_path, assets_dir)
    web_port = free_port()
    stack = LiveStack(url=f"http://127.0.0.1:{web_port}", env={**env, "WEB_PORT": str(web_port)},
                      assets_dir=assets_dir, log_dir=tmp_path)  # fmt: skip
    stack.redis().flushdb()
    stack.manage("bootstrap")
    stack.token = stack.manage("drf_create_token", "admin").split()[2]
    control = spawn([sys.executable, "-m", "stack", "web", "control"], env={**stack.env, "NODE_HOST": "host-c"},
                    cwd=ROOT, log_path=tmp_path / "host-c.log")  # fmt: skip
    launchers = [control]
    try:
        wait_until(lambda: "control, web running" in (tmp_path / "host-c.log").read_text(errors="replace"),
                   timeout=90, interval=0.2, what="host C (web, control)")  # fmt: skip
        host_a = _start_host("host-a", env, tmp_path)
        launchers.append(host_a.launcher)
        yield stack, host_a, {"env": env, "dir": tmp_path, "launchers": launchers}
    finally:
        for launcher in reversed(launchers):
            stop_process(launcher, sig=signal.SIGINT, timeout=60)


def _held_by(stack: LiveStack, stream_ids: list[int], host: str) -> bool:
    for stream_id in stream_ids:
        holder = stack.lease_holder(stream_id) or ""
        if not holder.startswith(f"streams@{host}:") or stack.stream(stream_id)["status"] != "running":
            return False
    return True


def test_killing_every_process_of_a_host_moves_its_streams_to_the_other_host(two_hosts, assets_dir: Path):
    """GIVEN two streams running on host A (worker + its own Triton, sending frames through shared memory) and
    host B up beside it WHEN every process of host A is killed with SIGKILL THEN both streams run on host B
    within 15 s, inferring on host B's Triton through host B's shared memory; and a client on neither host's
    /dev/shm reaches Triton over binary HTTP."""
    stack, host_a, shared = two_hosts
    stream_ids = []
    for index in range(2):
        response = stack.api("POST", "/api/streams/", {"name": f"two-hosts-{index}", "max_fps": 5,
                                                       "source": str(assets_dir / "traffic_highway.mp4")})  # fmt: skip
        assert response.status == 201, response.body
        stream_ids.append(response.body["id"])
    wait_until(lambda: _held_by(stack, stream_ids, "host-a"), timeout=60, interval=0.2, what="streams on host A")
    wait_until(lambda: any(n.startswith("sv_") for n in host_a.shm_regions()), timeout=15, what="A's shm regions")
    host_b = _start_host("host-b", shared["env"], shared["dir"])
    shared["launchers"].append(host_b.launcher)
    wait_until(lambda: len(stack.api("GET", "/api/workers/").body) == 2, timeout=60, what="host B's worker")
    inferences_before = host_b.inferences()

    doomed = [host_a.launcher.pid, *descendants(host_a.launcher.pid)]
    killed_at = time.monotonic()
    for pid in doomed:
        os.kill(pid, signal.SIGKILL)

    wait_until(lambda: _held_by(stack, stream_ids, "host-b"), timeout=15, interval=0.05, what="streams on host B")
    moved = time.monotonic() - killed_at
    wait_until(lambda: host_b.inferences() > inferences_before + 10, timeout=10, what="inference on B's Triton")
    wait_until(lambda: any(n.startswith("sv_") for n in host_b.shm_regions()), timeout=10, what="B's shm regions")
    print(f"\nhost A killed ({len(doomed)} processes): its streams running on host B after {moved:.2f} s")
    assert moved <= 15
    assert _transport_from_here(host_b.triton_url) == "http"


def _transport_from_here(url: str) -> str:
    """This test process shares neither host's /dev/shm: automatic transport must fall back to HTTP."""
    from workers.inference.client import TritonModel

    model = TritonModel.init(url=url, model_name="yolo", transport="auto")
    try:
        height, width = model.input_size
        model.infer(np.zeros((1, height, width, 3), np.uint8))
        return model.transport
    finally:
        model.close()
