"""GET /metrics: Prometheus text for the whole product, readable by admins and by a scraper's token.

Per-stream values live in the worker processes; they reach Redis about once a second (streams.stream_counters,
streams.metrics_history), so one collector here reads them back for any web process, along with the database's
streams and workers and what the launchers and the reconciler report (streams.supervision). Triton's own
metrics are relayed at /metrics/triton/ under the same access rule.
"""

import hmac
import logging
import time
import urllib.request
from collections.abc import Callable, Iterator
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from accounts.access import refusal
from accounts.roles import Role, has_role
from streams import metrics_history, selectors, stream_counters, supervision
from streams.models import Stream
from yolo_triton.admin import host_port

logger = logging.getLogger(__name__)
FPS_FRESH_S = 5.0  # an fps sample older than this means the stream processes nothing now
STREAM_LABELS = ["stream", "name"]


def can_read_metrics(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Who may read /metrics in a browser session: admins."""
    return has_role(user, Role.ADMIN)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the request may read metrics: a scraper's bearer token, or an admin's session."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return None
    if can_read_metrics(request.user):
        return None
    if request.user.is_authenticated or given:
        message = refusal(request.user, Role.ADMIN) if request.user.is_authenticated else "Wrong scrape token."
        return HttpResponse(message + "\n", status=403, content_type="text/plain")
    response = HttpResponse("Log in as an admin, or send the scrape token.\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def _admin_or_token(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Outermost: an admin's session or the scrape token (a scraper has no session, so no login redirect)."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        return _refusal(request) or view(request)

    wrapped.required_role = Role.ADMIN  # what the role matrix (tests/accounts/test_roles.py) reads
    return wrapped


@_admin_or_token
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProductCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@_admin_or_token
@require_GET
def triton_metrics(request: HttpRequest) -> HttpResponse:
    """Triton's own Prometheus text (nv_inference_*, nv_cpu_*/nv_gpu_*), relayed as it is."""
    url = triton_metrics_url()
    if not url:
        return HttpResponse("No Triton configured (TRITON_URL).\n", status=503, content_type="text/plain")
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - a configured http URL
            body = response.read()
    except OSError as error:
        return HttpResponse(f"Triton's metrics at {url} are unreachable: {error}\n", status=502,
                            content_type="text/plain")  # fmt: skip
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def triton_metrics_url() -> str:
    """TRITON_METRICS_URL, else Triton's default metrics port (8002) on the TRITON_URL host."""
    if settings.TRITON_METRICS_URL or not settings.TRITON_URL:
        return settings.TRITON_METRICS_URL
    host = host_port(settings.TRITON_URL).rsplit(":", 1)[0]
    return f"http://{host}:8002/metrics"


class ProductCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        streams = selectors.streams_shown(list(selectors.stream_list()))
        yield from stream_metrics(streams)
        yield from worker_metrics()
        yield from reconciler_metrics()
        yield from process_metrics()


def stream_metrics(streams: list[Stream]) -> Iterator[Metric]:
    ids = [stream.pk for stream in streams]
    counters = stream_counters.counters_read(stream_ids=ids)
    families = {
        name: CounterMetricFamily(f"streamvision_stream_{name}", help_text, labels=STREAM_LABELS)
        for name, help_text in (
            ("frames", "Frames processed (inferred, counted, published if watched)."),
            ("dropped_frames", "Frames the source decoded and dropped: the pipeline was behind."),
            ("inference_errors", "Batches whose inference failed (their frames went on with no detections)."),
            ("reconnects", "Times a live source was lost and the stream went reconnecting."),
        )
    }
    fps = GaugeMetricFamily("streamvision_stream_fps", "Frames processed per second (about the last second).",
                            labels=STREAM_LABELS)  # fmt: skip
    latency = HistogramMetricFamily(
        "streamvision_stream_inference_latency_seconds", "Triton round trip per batch, letterbox to boxes.",
        labels=STREAM_LABELS,
    )  # fmt: skip
    status = GaugeMetricFamily("streamvision_stream_status", "1 for the stream's observed status as shown.",
                               labels=[*STREAM_LABELS, "status"])  # fmt: skip
    for stream in streams:
        labels = [str(stream.pk), stream.name]
        totals = counters[stream.pk]
        for name, family in families.items():
            family.add_metric(labels, totals.totals[name])
        latency.add_metric(labels, [(_le(bound), count) for bound, count in totals.latency_buckets],
                           sum_value=totals.latency_sum_s)  # fmt: skip
        fps.add_metric(labels, _fresh_fps(stream.pk))
        for value, _ in Stream.Status.choices:
            status.add_metric([*labels, value], 1.0 if stream.status == value else 0.0)
    yield from (*families.values(), fps, latency, status)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def _fresh_fps(stream_id: int) -> float:
    samples = metrics_history.history_read(stream_id=stream_id, window_s=FPS_FRESH_S)
    return float(samples[-1]["fps"]) if samples else 0.0


def worker_metrics() -> Iterator[Metric]:
    labels = ["worker", "host"]
    slots = GaugeMetricFamily("streamvision_worker_slots", "Streams a worker node can run at once.", labels=labels)
    used = GaugeMetricFamily("streamvision_worker_slots_used", "Streams a worker node runs now.", labels=labels)
    up = GaugeMetricFamily("streamvision_worker_up", "1 while the node's heartbeat is recent.", labels=labels)
    for node in selectors.worker_list():
        key = [node.name, node.hostname]
        slots.add_metric(key, node.capacity)
        used.add_metric(key, len(node.streams_held))
        up.add_metric(key, 1.0 if node.is_alive else 0.0)
    yield from (slots, used, up)


def reconciler_metrics() -> Iterator[Metric]:
    last = supervision.reconciler_last_pass()
    holder = supervision.beat_holder()
    lag = GaugeMetricFamily("streamvision_reconciler_lag_seconds",
                            "Seconds since the reconciler's last pass ended (it runs every few seconds).")  # fmt: skip
    lag.add_metric([], time.time() - last.at if last else float("inf"))
    took = GaugeMetricFamily("streamvision_reconciler_pass_duration_seconds", "How long the last pass took.")
    took.add_metric([], last.took_s if last else 0.0)
    lock = GaugeMetricFamily("streamvision_beat_lock_held", "1 while a beat holds the scheduler's lock.",
                             labels=["holder"])  # fmt: skip
    if holder is not None:
        lock.add_metric([holder[0]], 1.0)
    yield from (lag, took, lock)


def process_metrics() -> Iterator[Metric]:
    labels = ["host", "process"]
    up = GaugeMetricFamily("streamvision_process_up", "1 while a launcher's child runs.", labels=labels)
    restarts = CounterMetricFamily("streamvision_process_restarts", "Times a launcher started a child again.",
                                   labels=labels)  # fmt: skip
    for report in supervision.hosts_read():
        for child in report.children:
            key = [report.host, child["name"]]
            up.add_metric(key, 1.0 if child["state"] == "running" else 0.0)
            restarts.add_metric(key, child["restarts"])
    yield from (up, restarts)
