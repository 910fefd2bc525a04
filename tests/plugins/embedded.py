"""Loaded with `-p` before pytest-django configures Django: starts the embedded Valkey (unless REDIS_URL is
given) and isolates runtime files, so settings see the real server's URL when they are first read."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from stack.valkey import EmbeddedValkey

_state: dict = {}
_EMBEDDED_MARK = "STREAMVISION_TEST_EMBEDDED_REDIS_URL"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="streamvision-test-"))
    _state["var_dir"] = var_dir
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ASSETS_DIR", str(Path(__file__).resolve().parents[2] / "assets"))
    given = os.environ.get("REDIS_URL", "")
    # A pytest-xdist worker inherits the controller's environment: a Valkey the controller started is not its own.
    if not given or given == os.environ.get(_EMBEDDED_MARK):
        valkey = EmbeddedValkey(work_dir=var_dir / "valkey")
        valkey.start()
        _state["valkey"] = valkey
        os.environ["REDIS_URL"] = os.environ[_EMBEDDED_MARK] = valkey.url
    else:
        os.environ["REDIS_URL"] = _worker_database(given)
        _empty_own_redis_database(os.environ["REDIS_URL"])


def _worker_database(url: str) -> str:
    """Under pytest-xdist, each worker's own database numbers on a shared Redis: the live stacks take the next
    ones (+1 live, +2 lifecycle, +3 chaos), so workers are 4 apart."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, db = url.rpartition("/")
    return f"{base}/{int(db or 0) + 4 * int(worker[2:])}"


def _empty_own_redis_database(url: str) -> None:
    """An external Redis given to the tests (CI's second pass) must name a database number of its own, not
    0: leases and dispatch tickets of an earlier run would otherwise meet this run's stream ids."""
    import redis

    client = redis.Redis.from_url(url)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise pytest.UsageError(f"REDIS_URL for tests must name a database number other than 0: {url}")
    client.flushdb()


def pytest_unconfigure(config) -> None:
    valkey = _state.pop("valkey", None)
    if valkey is not None:
        valkey.stop()
    var_dir = _state.pop("var_dir", None)
    if var_dir is not None:
        shutil.rmtree(var_dir, ignore_errors=True)
