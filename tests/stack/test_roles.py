"""python -m stack ROLE: the role table, and the refusals of a role started without what it needs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stack.roles import PROCESSES, ROLE_PROCESSES, parse_roles, processes_of

ROOT = Path(__file__).resolve().parents[2]


def test_roles_parse_in_start_order_and_all_means_every_role():
    """GIVEN role names as an operator types them WHEN parsed THEN they come in start order; none or `all`
    is every role; an unknown one is refused with the list of valid ones."""
    assert parse_roles(["web", "worker,triton"]) == ["triton", "worker", "web"]
    assert parse_roles([]) == parse_roles(["all"]) == list(ROLE_PROCESSES)
    with pytest.raises(ValueError, match="unknown role.*gpu.*choose from"):
        parse_roles(["gpu"])


def test_every_process_of_every_role_has_a_command_or_is_the_embedded_triton():
    """GIVEN the role table WHEN each role's processes are listed THEN each has a command line (the control role
    runs its worker, beat and the events' deliverer as three processes), except the embedded Triton, which the
    launcher starts itself."""
    assert processes_of(["control"]) == ["control", "beat", "deliver"]
    for process in processes_of(list(ROLE_PROCESSES)):
        assert process in PROCESSES or process == "triton"


def _stack(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TRITON_URL")}
    return subprocess.run([sys.executable, "-m", "stack", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_a_role_started_without_its_configuration_says_what_to_set():
    """GIVEN no REDIS_URL, then no TRITON_URL WHEN the worker role starts THEN it exits 2 naming the variable,
    having started nothing."""
    no_redis = _stack("worker")
    no_triton = _stack("worker", REDIS_URL="redis://127.0.0.1:9/0")
    unknown = _stack("gpu")

    assert no_redis.returncode == 2 and "Set REDIS_URL" in no_redis.stderr
    assert no_triton.returncode == 2 and "Set TRITON_URL" in no_triton.stderr
    assert unknown.returncode == 2 and "unknown role" in unknown.stderr
