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


@pytest.fixture(autouse=True)
def forget_stream_keys(request):
    """In-process tests reuse stream ids (each test's database rolls back): a lease or dispatch ticket a test left
    in this process's Redis database would make a later test's stream look held or queued. The live stacks use
    other database numbers."""
    yield
    if "django_db_setup" not in request.fixturenames:
        return
    from streams import control

    client = control.redis_client()
    keys = list(client.scan_iter("streamvision:stream:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def clip(settings, tmp_path) -> str:
    """A file a stream may use as its source (in an allowed media directory)."""
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"x")
    return str(tmp_path / "clip.mp4")


@pytest.fixture
def user_with_role(django_user_model):
    """A user in a role ("viewer", "operator", "admin"), or in none (role=None)."""
    from accounts.services import user_set_role

    def make(role: str | None, username: str = "") -> object:
        user = django_user_model.objects.create_user(username or f"{role or 'norole'}-user", password="pw-123456")
        if role is not None:
            user_set_role(user=user, role=role)
        return user

    return make


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}
