"""The soak's targets, judged on its samples (bench/soak.py records them; bench/soak_tables.py prints them), and
the report's place in docs/soak.md. Pure functions of the run's record:

    run = {"config": {...}, "machine": {...}, "samples": [sample, ...], "end": {...} once it stopped}
    sample = {"minute", "at", "load": [1, 5, 15 min], "kinds": {kind: {"processes", "pss_mb", "pss_anon_mb", "fds"}},
              "disk": {"var_mb", "logs_mb", "parts": {top folder: MB}, "log_families": {log: MB}},
              "streams": {name: {"fps", "ws_fps", "status"}}, "events": {"raised", "received"}}

Growth is judged between two windows of `window_min` minutes, each summed up by its median (one sample can
catch a pool process between two frames' buffers; a median of five cannot be moved by one): the baseline window
starts at `baseline_min` (start-up's allocations are done by then), the end window is the run's last minutes.
"""

import re
import statistics
from collections.abc import Callable
from pathlib import Path

from testbed.processes_tree import KINDS

PSS_GROWTH_PCT = 5.0  # per kind, baseline → end
PSS_SLACK_MB = (
    2.0  # or this much: Valkey (a few MB) holds a few tiles' JPEGs in flight, more at one moment than another
)
FDS_SLACK = (5, 5.0)  # fds "flat": at most this many more, or this per cent more, whichever is larger
FPS_KEPT = 0.9  # each stream's fps at the end at least this share of its fps at the baseline
CAP_SLACK = 0.1  # logs are rotated and snapshots pruned periodically: each may pass its cap by what a period adds
LOST_TARGET = "0 events lost (stored vs received by the webhook, after the outbox drained)"
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"


def baseline_window(samples: list[dict], config: dict) -> list[dict]:
    """The samples of the `window_min` minutes from `baseline_min`; the first sample at or after `baseline_min`
    (the first one at all in a shorter run) if none."""
    start = config["baseline_min"]
    found = [s for s in samples if start - 1e-6 <= s["minute"] < start + config["window_min"]]
    return found or [next((s for s in samples if s["minute"] >= start - 1e-6), samples[0])]


def end_window(samples: list[dict], config: dict) -> list[dict]:
    """The samples of the run's last `window_min` minutes (at least the last one)."""
    last = samples[-1]["minute"]
    return [s for s in samples if s["minute"] > last - config["window_min"] + 1e-6] or samples[-1:]


def median(samples: list[dict], value: Callable[[dict], float | None]) -> float | None:
    found = [v for v in map(value, samples) if v is not None]
    return statistics.median(found) if found else None


def growth_pct(first: float | None, last: float | None) -> float | None:
    return None if not first or last is None else 100.0 * (last - first) / first


def kinds_present(samples: list[dict]) -> list[str]:
    return [k for k in KINDS if any(s["kinds"].get(k, {}).get("processes") for s in samples)]


def per_kind(samples: list[dict], config: dict, field: str) -> dict[str, tuple[float | None, float | None]]:
    """kind -> (median at the baseline, median at the end) of `field` ("pss_mb", "pss_anon_mb" or "fds")."""
    base, end = baseline_window(samples, config), end_window(samples, config)
    return {k: (median(base, lambda s, k=k: s["kinds"][k][field]), median(end, lambda s, k=k: s["kinds"][k][field]))
            for k in kinds_present(samples)}  # fmt: skip


def per_stream_fps(samples: list[dict], config: dict) -> dict[str, tuple[float | None, float | None]]:
    base, end = baseline_window(samples, config), end_window(samples, config)
    return {spec["name"]: (median(base, lambda s, n=spec["name"]: s["streams"][n]["fps"]),
                           median(end, lambda s, n=spec["name"]: s["streams"][n]["fps"]))
            for spec in config["streams"]}  # fmt: skip


def memory_kept(first: float | None, last: float | None) -> bool:
    if not first or last is None:
        return False
    return last - first <= PSS_SLACK_MB or growth_pct(first, last) <= PSS_GROWTH_PCT


def fds_flat(first: float, last: float) -> bool:
    return last - first <= max(FDS_SLACK[0], first * FDS_SLACK[1] / 100)


def fps_kept(first: float | None, last: float | None) -> bool:
    return first is None or (last is not None and last >= FPS_KEPT * first)


def log_cap_mb(config: dict) -> float:
    """What stack/logs.py keeps of one log: the log and LOG_KEEP older files of LOG_MAX_MB each."""
    return (config["log_keep"] + 1) * config["log_max_mb"]


def targets(run: dict) -> list[dict]:
    """Each target with `ok` and what was measured."""
    samples, config = run["samples"], run["config"]
    return [_memory_target(samples, config, "pss_mb"), _memory_target(samples, config, "pss_anon_mb"),
            _fds_target(samples, config), _disk_target(samples, config), _events_target(run),
            _fps_target(samples, config)]  # fmt: skip


def _memory_target(samples: list[dict], config: dict, field: str) -> dict:
    """PSS ("pss_mb") or its part without file pages ("pss_anon_mb": anonymous and shared memory, what a leak
    grows; the file pages' share moves with every other process on the machine that maps the same libraries)."""
    moved = per_kind(samples, config, field)
    grown = {k: growth_pct(a, b) for k, (a, b) in moved.items()}
    worst = max(grown, key=lambda k: grown[k] if grown[k] is not None else float("inf"))
    what = "PSS" if field == "pss_mb" else "PSS without file pages (anonymous + shared memory)"
    return {
        "target": f"{what}: growth ≤ {PSS_GROWTH_PCT:g} % (or {PSS_SLACK_MB:g} MB) per process kind, from minute "
        f"{config['baseline_min']:g} on",
        "ok": all(memory_kept(a, b) for a, b in moved.values()),
        "detail": f"largest: {worst} {pct(grown[worst])} ({_f(moved[worst][0], 1)} → {_f(moved[worst][1], 1)} MB)",
    }


def _fds_target(samples: list[dict], config: dict) -> dict:
    moved = per_kind(samples, config, "fds")
    grown = [f"{k} {a:g} → {b:g}" for k, (a, b) in moved.items() if not fds_flat(a, b)]
    total = f"all kinds {sum(a for a, _ in moved.values()):g} → {sum(b for _, b in moved.values()):g}"
    return {"target": f"open fds flat per kind (at most +{FDS_SLACK[0]} or +{FDS_SLACK[1]:g} %)", "ok": not grown,
            "detail": "; ".join(grown) or total}  # fmt: skip


def _disk_target(samples: list[dict], config: dict) -> dict:
    cap, media_cap = log_cap_mb(config), config["events_media_max_mb"]
    largest = max(((mb, name) for s in samples for name, mb in s["disk"]["log_families"].items()), default=(0, "–"))
    media = max(s["disk"]["parts"].get("events", 0.0) for s in samples)
    return {
        "target": f"disk within caps: each log ≤ (LOG_KEEP + 1) × LOG_MAX_MB = {cap:g} MB, snapshots ≤ "
        f"EVENTS_MEDIA_MAX_MB = {media_cap:g} MB",
        "ok": largest[0] <= cap * (1 + CAP_SLACK) and media <= media_cap * (1 + CAP_SLACK),
        "detail": f"largest log {largest[1]} {largest[0]:.2f} MB; var/logs at most "
        f"{max(s['disk']['logs_mb'] for s in samples):.2f} MB; snapshots at most {media:.1f} MB",
    }


def _events_target(run: dict) -> dict:
    end = run.get("end") or {}
    if "lost" not in end:
        last = run["samples"][-1]["events"]
        detail = f"not judged (the run did not finish): {last['raised']} stored, {last['received']} received"
        return {"target": LOST_TARGET, "ok": False, "detail": detail}
    return {"target": LOST_TARGET, "ok": end["lost"] == 0,
            "detail": f"{end['raised']} stored, {end['received']} of them received, {end['lost']} lost; the "
            f"streams stopped and the outbox drained in {end['drain_s']:.0f} s"}  # fmt: skip


def _fps_target(samples: list[dict], config: dict) -> dict:
    rates = per_stream_fps(samples, config)
    slow = [f"{name} {_f(a)} → {_f(b)}" for name, (a, b) in rates.items() if not fps_kept(a, b)]
    total = f"all streams {_f(sum(a or 0 for a, _ in rates.values()))} → {_f(sum(b or 0 for _, b in rates.values()))}"
    return {"target": f"fps flat: each stream keeps ≥ {FPS_KEPT:.0%} of its fps at the baseline", "ok": not slow,
            "detail": "; ".join(slow) or f"{total} fps"}  # fmt: skip


def write_docs(path: Path, report: str) -> None:
    """Replace the run between the markers in docs/soak.md; the prose around it stays."""
    text = path.read_text() if path.exists() else f"# Soak\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text = f"{text.rstrip()}\n\n## Latest run\n\n{BEGIN}\n{END}\n"
    body = f"{BEGIN}\n{report.rstrip()}\n{END}"
    path.write_text(re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: body, text, flags=re.S))


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} %"


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
