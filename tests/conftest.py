"""Shared fixtures: real assets, a real Triton, and the whole product running as real processes."""

import os
from pathlib import Path

import pytest

from tests.stackutil import LiveStack, start_live_stack

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["tests.events.fixtures"]  # streams with rules and events, for the events and dashboard tests

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]


@pytest.fixture(scope="session")
def assets_dir() -> Path:
    path = Path(os.environ["ASSETS_DIR"])
    needed = ("yolo11n_320_dyn.onnx", "traffic_highway.mp4", "bus.jpg", "zidane.jpg")
    missing = [name for name in needed if not (path / name).is_file()]
    if missing:
        pytest.fail(f"Test assets missing in {path}: {missing}. Set ASSETS_DIR (see README).")
    return path


@pytest.fixture(scope="session")
def triton_url(assets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real tritonserver serving the YOLO model on CPU (or TRITON_URL if the environment names one)."""
    if os.environ.get("TRITON_URL"):
        yield os.environ["TRITON_URL"]
        return
    from stack.triton_server import EmbeddedTriton

    server = EmbeddedTriton(
        venv=ROOT / ".venv-triton",
        onnx_path=assets_dir / "yolo11n_320_dyn.onnx",
        work_dir=tmp_path_factory.mktemp("triton"),
    )
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def live_stack(triton_url: str, assets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> LiveStack:
    # Its own Redis database: the stack's control keys and channel groups must not meet this process's.
    base, _, db = os.environ["REDIS_URL"].rpartition("/")
    stack = start_live_stack(
        work_dir=tmp_path_factory.mktemp("live"),
        redis_url=f"{base}/{int(db or 0) + 1}",
        triton_url=triton_url,
        assets_dir=assets_dir,
    )
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}
