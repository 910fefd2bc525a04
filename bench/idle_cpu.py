"""What `make run` costs when nobody watches: the product (`python -m stack`, every role, embedded Valkey and
Triton) on a fresh database with its demo streams, measured as the CPU of the launcher's whole process tree
over a window once the demo streams run.

Usage:
    ASSETS_DIR=../shared/assets .venv/bin/python bench/idle_cpu.py [--window 60] [--root DIR] [--python PATH]

`--root` runs another checkout's product (say a `git worktree` of an older commit, to compare): its own code,
with `--python` (default: that checkout's .venv). Prints one JSON object: cores used by the product's tree (and
by kind of process), what the rest of the machine used meanwhile, and each demo stream's processed fps.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.whole_stack import kind_of  # noqa: E402
from stack.processes import free_port, wait_until  # noqa: E402
from testbed.live_stack import LiveStack, wait_for_launcher  # noqa: E402

PASSWORD = "idle-bench-password-1"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0, help="measured seconds")
    parser.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="seconds between the demo streams running and the window (start-up work is over)",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose product runs")
    parser.add_argument("--python", type=Path, default=None, help="its interpreter (default: ROOT/.venv)")
    parser.add_argument("--assets", type=Path, default=Path(os.environ.get("ASSETS_DIR", ROOT / "assets")))
    return parser.parse_args(argv)


def product_env(var_dir: Path, assets: Path, port: int) -> dict[str, str]:
    """`make run`'s environment: every server embedded (no REDIS_URL, TRITON_URL or DATABASE_URL from ours)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "TRITON_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}  # fmt: skip
    env.update(VAR_DIR=str(var_dir), ASSETS_DIR=str(assets), DEMO_STREAMS="1", WEB_PORT=str(port),
               DJANGO_SUPERUSER_USERNAME="admin", DJANGO_SUPERUSER_PASSWORD=PASSWORD, MQTT_URL="")  # fmt: skip
    return env


def launch(args: argparse.Namespace, work: Path) -> tuple[subprocess.Popen, LiveStack, Path]:
    port, log = free_port(), work / "launcher.log"
    python = args.python or args.root / ".venv" / "bin" / "python"
    env = product_env(work / "var", args.assets.resolve(), port)
    launcher = subprocess.Popen([str(python), "-m", "stack"], env=env, cwd=args.root, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    stack = LiveStack(url=f"http://127.0.0.1:{port}", env=env, assets_dir=args.assets, log_dir=work,
                      admin_password=PASSWORD)  # fmt: skip
    return launcher, stack, log


def wait_running(launcher: subprocess.Popen, stack: LiveStack, log: Path) -> list[dict]:
    """The demo streams, once every one of them runs and has reported processed frames."""
    wait_for_launcher(launcher, log, timeout=300)
    login = stack.api("POST", "/api/token/", {"username": "admin", "password": PASSWORD}, token=False)
    stack.token = login.body["token"]
    streams: list[dict] = []

    def demos_run() -> bool:
        streams[:] = stack.api("GET", "/api/streams/").body
        return bool(streams) and all(s["status"] == "running" and _fps(stack, s["id"], 0.0) for s in streams)

    wait_until(demos_run, timeout=180, interval=1.0, what="every demo stream to run")
    return streams


def _fps(stack: LiveStack, stream_id: int, since: float) -> float | None:
    """The stream's mean processed fps in its metrics samples since `since` (unix time); None without any."""
    samples = [s["fps"] for s in stack.api("GET", f"/api/streams/{stream_id}/metrics/").body if s["at"] >= since]
    return round(sum(samples) / len(samples), 2) if samples else None


def tree(root_pid: int) -> list[psutil.Process]:
    root = psutil.Process(root_pid)
    return [root, *root.children(recursive=True)]


def cpu_of(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def machine_busy() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def measure(root_pid: int, window: float) -> dict[str, float]:
    """Cores used over `window` seconds by the tree (by kind of process) and by the machine as a whole. A process
    started within the window counts in full; one that ended within it is lost (none should, while idle)."""
    opened = {}
    for proc in tree(root_pid):
        try:
            opened[proc.pid] = cpu_of(proc)
        except psutil.Error:
            continue
    busy, started = machine_busy(), time.monotonic()
    time.sleep(window)  # the measurement itself: nobody watches, nothing is asked of the product
    seconds, machine = time.monotonic() - started, machine_busy() - busy
    used: dict[str, float] = {}
    for proc in tree(root_pid):
        try:
            kind = kind_of(proc.cmdline())
            used[kind] = used.get(kind, 0.0) + cpu_of(proc) - opened.get(proc.pid, 0.0)
        except psutil.Error:
            continue
    product = sum(used.values())
    return {"product_cores": round(product / seconds, 3), "machine_cores": round(machine / seconds, 3),
            "others_cores": round(max(machine - product, 0.0) / seconds, 3), "window_s": round(seconds, 1),
            **{f"{kind}_cores": round(value / seconds, 3) for kind, value in sorted(used.items())}}  # fmt: skip


def stop(launcher: subprocess.Popen) -> None:
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGINT)  # Ctrl-C, as an operator stops it
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="idle-cpu-") as tmp:
        launcher, stack, log = launch(args, Path(tmp))
        try:
            streams = wait_running(launcher, stack, log)
            time.sleep(args.settle)  # start-up work (migrations, the tracker's rate measurement) is not idling
            since = time.time()
            result = measure(launcher.pid, args.window)
            result["streams"] = {s["name"]: {"max_fps": s["max_fps"], "fps": _fps(stack, s["id"], since)}
                                 for s in streams}  # fmt: skip
        finally:
            stop(launcher)
    result |= {"root": str(args.root), "cpus": len(os.sched_getaffinity(0)), "loadavg": os.getloadavg()}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
