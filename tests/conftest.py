"""Shared fixtures: real assets, a real Triton, and the whole product running as real processes."""

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from testbed.live_stack import LiveStack, start_live_stack

if TYPE_CHECKING:
    from stack.triton_server import EmbeddedTriton

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


@pytest.fixture(scope="session", autouse=True)
def test_database_first(django_db_setup: None) -> None:
    """The test database is made before any test runs: a worker whose first tests drive the browser would
    otherwise make it later, on a thread where Playwright's event loop runs, which Django refuses."""


@pytest.fixture(scope="session")
def embedded_triton(assets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator["EmbeddedTriton"]:
    """One real tritonserver serving the default model on CPU for the whole session: the live stack and every
    test module that only sends it frames share it (a test that restarts or breaks a server starts its own)."""
    from stack.triton_server import EmbeddedTriton

    server = EmbeddedTriton(
        venv=ROOT / ".venv-triton",
        onnx_path=assets_dir / "yolo11n_320_dyn.onnx",
        work_dir=tmp_path_factory.mktemp("triton"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def triton_url(request: pytest.FixtureRequest) -> str:
    """The session's Triton: TRITON_URL if the environment names one, else the embedded one."""
    return os.environ.get("TRITON_URL") or request.getfixturevalue("embedded_triton").url


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
    from core import redis_keys
    from streams import control

    client = control.redis_client()
    keys = list(client.scan_iter(redis_keys.stream_pattern(), count=1000))
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


# --- Two workers (`make test`: pytest-xdist) ---------------------------------------------------------------------
# Most tests wait on real processes, so two run side by side. A test runs with the others of its group on one
# worker: the tests on the session's live stack ("live") and the lifecycle tests ("lifecycle") each start their
# stack once, and any other module keeps its tests (and its module-scoped servers) together. The stacks' groups
# are handed out first, one to each worker. The browser tests ("browser") come last of all: once Playwright runs
# in a process, Django refuses the ORM on its main thread, so no in-process database test may follow them there
# (run alone, pytest-django orders database tests first for the same reason). xdist's own `loadgroup` reads
# `xdist_group` marks through a node attribute pytest 9 no longer uses, so the groups are named here instead.
FIRST_GROUPS, LAST_GROUP = ("live", "lifecycle"), "browser"


@functools.cache
def test_group(module_path: str) -> str:
    if module_path.startswith("tests/lifecycle/"):
        return "lifecycle"
    source = (ROOT / module_path).read_text() if (ROOT / module_path).is_file() else ""
    if "pytest.mark.browser" in source:
        return LAST_GROUP
    return "live" if "live_stack" in source else module_path


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class StackScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return test_group(nodeid.split("::", 1)[0])

        def _assign_work_unit(self, node: object) -> None:
            if LAST_GROUP in self.workqueue:
                self.workqueue.move_to_end(LAST_GROUP)
            for group in FIRST_GROUPS:
                if group in self.workqueue:
                    self.workqueue.move_to_end(group, last=False)
                    break
            super()._assign_work_unit(node)

    return StackScheduling(config, log)
