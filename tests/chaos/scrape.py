"""Scraping /metrics as Prometheus does, parsed with prometheus-client's own parser."""

import json
import re
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from stack.processes import wait_until
from tests.chaos.conftest import METRICS_TOKEN

ROOT = Path(__file__).resolve().parents[2]
STREAM_SAMPLES = (
    "streamvision_stream_frames_total", "streamvision_stream_dropped_frames_total",
    "streamvision_stream_inference_errors_total", "streamvision_stream_reconnects_total", "streamvision_stream_fps",
    "streamvision_stream_inference_latency_seconds_bucket", "streamvision_stream_inference_latency_seconds_count",
    "streamvision_stream_inference_latency_seconds_sum", "streamvision_stream_status",
)  # fmt: skip
OTHER_SAMPLES = (
    "streamvision_worker_slots", "streamvision_worker_slots_used", "streamvision_worker_up",
    "streamvision_reconciler_lag_seconds", "streamvision_reconciler_pass_duration_seconds",
    "streamvision_beat_lock_held", "streamvision_process_up", "streamvision_process_restarts_total",
)  # fmt: skip


def fetch(url: str, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def scrape(base_url: str) -> dict[str, list]:
    status, text = fetch(f"{base_url}/metrics", METRICS_TOKEN)
    assert status == 200, text
    samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append(sample)
    return samples


def value(samples: dict[str, list], name: str, stream_id: int, **labels: str) -> float:
    return sum(s.value for s in samples[name] if s.labels.get("stream") == str(stream_id)
               and all(s.labels.get(k) == v for k, v in labels.items()))  # fmt: skip


def assert_scrape_complete(product, stream_id: int) -> None:  # noqa: ANN001 - tests.chaos.conftest.Product
    base = product.stack.url
    first = scrape(base)
    for name in STREAM_SAMPLES:
        assert any(s.labels.get("stream") == str(stream_id) for s in first[name]), f"{name} has no stream label"
    for name in OTHER_SAMPLES:
        assert first[name], f"{name} missing"
    assert value(first, "streamvision_stream_status", stream_id, status="running") == 1

    def risen() -> bool:
        later = scrape(base)
        return all(value(later, name, stream_id) > value(first, name, stream_id) for name in
                   ("streamvision_stream_frames_total", "streamvision_stream_inference_latency_seconds_count"))

    wait_until(risen, timeout=15, interval=0.5, what="the frame and latency counters to rise")
    assert fetch(f"{base}/metrics", None)[0] == 401
    assert fetch(f"{base}/metrics", "wrong-token")[0] == 403
    status, text = fetch(f"{base}/metrics/triton", METRICS_TOKEN)
    assert status == 200 and "nv_inference_request_success" in text
    assert_dashboards_use_known_metrics(set(first))


def assert_dashboards_use_known_metrics(names: set[str]) -> None:
    """Every streamvision_* series the Grafana dashboard and the alert rules use is one /metrics exports."""
    grafana = json.loads((ROOT / "deploy" / "grafana" / "streamvision.json").read_text())
    exprs = [target["expr"] for panel in grafana["panels"] for target in panel["targets"]]
    alerts = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    exprs += [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    used = {name for expr in exprs for name in re.findall(r"\bstreamvision_[a-z_]+", expr)}
    assert used and used <= names, sorted(used - names)
