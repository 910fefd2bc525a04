"""Health of the parts the system page shows: Triton (readiness, models, per-model statistics), the database
and the broker. Every check has a short timeout and reports a failure as text instead of raising, so the page
always renders, and says exactly what is wrong."""

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from streams import supervision
from streams.control import redis_client
from yolo_triton.admin import TritonAdmin, TritonAdminError, TritonUnreachableError

logger = logging.getLogger(__name__)

TIMEOUT_S = 2.0


@dataclass
class Check:
    ok: bool
    detail: str
    latency_ms: float | None = None


@dataclass
class ModelStats:
    name: str
    version: str
    state: str
    inference_count: int = 0
    execution_count: int = 0
    queue_ms: float | None = None  # mean time a request waited in Triton's queue, since the model loaded
    compute_ms: float | None = None  # mean input + inference + output time per execution


@dataclass
class TritonHealth:
    url: str
    check: Check
    version: str = ""
    models: list[ModelStats] = field(default_factory=list)


@dataclass
class ReconcilerHealth:
    check: Check
    last_pass: supervision.ReconcilerPass | None = None
    age_s: float | None = None
    beat_holder: str = ""  # the beat process holding the scheduler's lock, "" when none does
    beat_lock_s: float | None = None  # how long its claim lasts without a renewal
    stale_after_s: float = 0.0


def reconciler_health() -> ReconcilerHealth:
    """When the reconciler last ran, by which control worker, and which beat holds the scheduler's lock. Stale
    (red) once no pass ran for three intervals plus a takeover (the lock's timeout)."""
    stale_after = 3 * settings.STREAM_RECONCILE_INTERVAL_S + settings.CELERY_REDBEAT_LOCK_TIMEOUT
    try:
        last, holder = supervision.reconciler_last_pass(), supervision.beat_holder()
    except Exception as error:  # noqa: BLE001 - shown on the page
        return ReconcilerHealth(Check(False, f"unknown: {type(error).__name__}: {error}"), stale_after_s=stale_after)
    health = ReconcilerHealth(Check(False, ""), last_pass=last, stale_after_s=stale_after)
    if holder is not None:
        health.beat_holder, health.beat_lock_s = holder[0], round(holder[1], 1)
    if last is None:
        health.check.detail = "has never run"
        return health
    health.age_s = round(max(0.0, time.time() - last.at), 1)
    health.check.ok = health.age_s <= stale_after and holder is not None
    if health.age_s > stale_after:
        every = settings.STREAM_RECONCILE_INTERVAL_S
        health.check.detail = f"stale: no pass for {health.age_s:.0f} s (expected every {every:g} s)"
    elif holder is None:
        health.check.detail = "no beat holds the scheduler's lock: no pass will be sent"
    else:
        health.check.detail = f"last pass {health.age_s:.1f} s ago"
    return health


def processes_health() -> tuple[Check, list[supervision.HostReport]]:
    """Each launcher's children; not ok while one of them is down or keeps dying."""
    try:
        hosts = supervision.hosts_read()
    except Exception as error:  # noqa: BLE001 - shown on the page
        return Check(False, f"unknown: {type(error).__name__}: {error}"), []
    down = [f"{h.host}/{c['name']}" for h in hosts for c in h.children if c["state"] != "running"]
    if not hosts:
        return Check(True, "no launcher reports (processes started another way)"), []
    if down:
        return Check(False, "not running: " + ", ".join(down)), hosts
    return Check(True, f"{sum(len(h.children) for h in hosts)} process(es) running on {len(hosts)} host(s)"), hosts


def database_health() -> Check:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - shown on the page
        return Check(False, f"{type(error).__name__}: {error}")
    return Check(True, connection.vendor, _ms_since(started))


def broker_health() -> Check:
    started = time.perf_counter()
    try:
        client = redis_client()
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except Exception as error:  # noqa: BLE001 - shown on the page
        return Check(False, f"{type(error).__name__}: {error}")
    return Check(True, f"Redis protocol, server {version}", _ms_since(started))


def triton_health(url: str | None = None) -> TritonHealth:
    admin = TritonAdmin(url if url is not None else settings.TRITON_URL, timeout_s=TIMEOUT_S)
    if not admin.url:
        return TritonHealth(url="", check=Check(False, "TRITON_URL is not set"))
    base = f"http://{admin.url}"
    started = time.perf_counter()
    try:
        if not admin.ready():
            return TritonHealth(url=base, check=Check(False, "up, not ready", _ms_since(started)))
        latency = _ms_since(started)
        version = admin.metadata().get("version", "")
        models = _models(admin)
    except TritonUnreachableError as error:
        return TritonHealth(url=base, check=Check(False, f"unreachable: {error.__cause__}"))
    except TritonAdminError as error:
        return TritonHealth(url=base, check=Check(False, str(error)))
    loaded = sum(1 for model in models if model.state == "READY")
    return TritonHealth(url=base, check=Check(True, f"ready, {loaded} model(s) loaded", latency),
                        version=version, models=models)  # fmt: skip


def _models(admin: TritonAdmin) -> list[ModelStats]:
    stats = {entry["name"]: entry for entry in admin.statistics()}
    models = []
    for entry in admin.index():
        model = ModelStats(name=entry["name"], version=str(entry.get("version", "")), state=entry.get("state", ""))
        _fill_stats(model, stats.get(model.name))
        models.append(model)
    return models


def _fill_stats(model: ModelStats, stats: dict | None) -> None:
    if not stats:
        return
    model.inference_count = int(stats.get("inference_count", 0))
    model.execution_count = int(stats.get("execution_count", 0))
    inference = stats.get("inference_stats", {})
    model.queue_ms = _mean_ms(inference.get("queue"))
    parts = [inference.get(name, {}) for name in ("compute_input", "compute_infer", "compute_output")]
    count = int(parts[1].get("count", 0))
    if count:
        model.compute_ms = round(sum(int(part.get("ns", 0)) for part in parts) / count / 1e6, 2)


def _mean_ms(duration: dict | None) -> float | None:
    if not duration or not int(duration.get("count", 0)):
        return None
    return round(int(duration["ns"]) / int(duration["count"]) / 1e6, 2)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
