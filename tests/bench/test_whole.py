"""The whole-product benchmark's bookkeeping: which process is which kind, and the table it prints."""

from pathlib import Path

from bench import whole_report
from bench.whole_stack import kind_of


def test_processes_are_sorted_into_workers_triton_web_and_other():
    """GIVEN the command lines the launcher starts WHEN classified THEN each lands in its kind."""
    py = "/repo/.venv/bin/python"
    assert kind_of([py, "-m", "celery", "-A", "workers.celery", "worker", "-Q", "streams", "--pool", "prefork"]) \
        == "workers"  # fmt: skip
    assert kind_of([py, "-m", "celery", "-A", "workers.celery", "worker", "-Q", "control", "--pool", "solo"]) == "other"
    assert kind_of(["/repo/.venv-triton/lib/python3.11/site-packages/pytriton/tritonserver/bin/tritonserver"]) \
        == "triton"  # fmt: skip
    assert kind_of(["/x/triton_python_backend_stub", "/m/model.py"]) == "triton"
    assert kind_of([py, "-m", "daphne", "-p", "8000", "config.asgi:application"]) == "web"
    assert kind_of(["/v/valkey-server", "--port", "1234"]) == "other"


def _results() -> dict:
    cores = {"workers": 0.5, "triton": 0.8, "web": 0.1, "other": 0.05, "bench": 0.02, "machine": 1.6}
    row = {"streams": 4, "watched": True, "fps": 40.0, "ws_fps": 39.5, "cores": cores, "inference_ms_p50": 30.0,
           "worker_pss_mb": 900.0, "peer_fps": {"files": 50.0, "cameras": 40.0}}  # fmt: skip
    return {"rows": [row, row | {"watched": False, "ws_fps": 0.0}], "worker_pss_idle_mb": 500.0,
            "loadavg_start": (0.5, 0, 0), "loadavg_end": (3.0, 0, 0), "config": {"warmup": 5, "window": 20},
            "duration_s": 100.0}  # fmt: skip


def test_the_table_shows_fps_ratios_cores_and_memory_per_stream():
    """GIVEN a run's rows WHEN printed THEN each row carries product / peer for both peers, CPU per frame and
    the memory line gives PSS per added stream."""
    table = whole_report.markdown(_results())
    assert "| 4 | yes | 40.0 | 50.0 / 40.0 | 0.80 / 1.00 | 0.50 / 0.80 / 0.10 / 0.05 | 0.02 / 1.60 | 12.5 |" in table
    assert "4 stream(s) 900 MB (+100 MB per stream)" in table


def test_write_docs_replaces_only_the_whole_product_block(tmp_path: Path):
    """GIVEN docs with prose and an earlier whole-product block WHEN a run is written THEN the block is
    replaced and the prose stays."""
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\nprose\n\n{whole_report.BEGIN}\nold\n{whole_report.END}\n\n## Latest run\nharness\n")
    whole_report.write_docs(doc, "TABLE", _results())
    text = doc.read_text()
    assert "old" not in text and "TABLE" in text and "prose" in text and "harness" in text
    assert "load average at start 0.50, at end 3.00" in text
