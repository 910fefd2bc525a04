"""TritonAdmin against the real tritonserver; and the rules that make tritonclient safe in our processes."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stack.processes import free_port
from yolo_triton.admin import TritonAdmin, TritonAdminError, TritonUnreachableError
from yolo_triton.contract import DETECTIONS, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_admin_reads_readiness_index_config_and_statistics(triton_url: str):
    """GIVEN the real Triton serving yolo
    WHEN its admin endpoints are read
    THEN it is ready with a version, yolo is READY in the index, its config reads into the contract's spec
    (server-side detections, 80 classes), and statistics list it."""
    admin = TritonAdmin(f"http://{triton_url}/")

    assert admin.url == triton_url and admin.ready() and admin.model_ready("yolo")
    assert admin.metadata()["version"]
    assert {entry["name"]: entry["state"] for entry in admin.index()}["yolo"] == "READY"
    spec = parse_config(admin.config("yolo"))
    assert spec.output_name == DETECTIONS and len(spec.class_names) == 80
    assert "yolo" in [entry["name"] for entry in admin.statistics()]


def test_refusals_carry_tritons_reason_and_unreachable_servers_say_so(triton_url: str):
    """GIVEN a model the repository lacks, and a port nobody listens on
    WHEN its config is asked for, it is loaded, and the empty port is asked for readiness
    THEN the first two raise TritonAdminError with Triton's own words, the last TritonUnreachableError."""
    admin = TritonAdmin(triton_url)

    with pytest.raises(TritonAdminError, match="no-such-model"):
        admin.config("no-such-model")
    with pytest.raises(TritonAdminError, match="no-such-model"):
        admin.load("no-such-model")
    with pytest.raises(TritonUnreachableError, match="unreachable"):
        TritonAdmin(f"127.0.0.1:{free_port()}", timeout_s=2).ready()


def test_calls_from_many_threads_at_once_all_answer(triton_url: str):
    """GIVEN one TritonAdmin shared by 8 threads (Daphne runs sync views on a thread pool)
    WHEN they read the index and the statistics 40 times at once
    THEN every call answers (one tritonclient per call: a shared gevent client would hang here)."""
    admin = TritonAdmin(triton_url, timeout_s=10)

    def call(_: int) -> int:
        return len(admin.index()) + len(admin.statistics())

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(40), timeout=60))

    assert len(answers) == 40 and min(answers) >= 2


def test_the_celery_parent_never_loads_tritonclient():
    """GIVEN what a Celery worker's main process imports before it forks its pool (Django with the admin's
    autodiscovery, which imports the catalog and so TritonAdmin; the Celery app and its tasks)
    WHEN a fresh interpreter imports the same and builds a TritonAdmin without calling it
    THEN neither tritonclient.http nor gevent is loaded (a forked child of a process that used them hangs)."""
    probe = (
        "import sys, django; django.setup(); import workers.celery, workers.tasks, catalog.services; "
        "from yolo_triton.admin import TritonAdmin; TritonAdmin('127.0.0.1:1'); "
        "print(sorted(m for m in ('tritonclient.http', 'gevent') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=True)  # fmt: skip

    assert result.stdout.strip().splitlines()[-1] == "[]"
