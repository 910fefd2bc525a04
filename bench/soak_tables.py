"""The soak's report as Markdown: the verdict per target (bench/soak_report.py), growth per process kind, fps
per stream (asked and achieved), disk, and every sample."""

from bench.soak_report import (
    baseline_window,
    end_window,
    growth_pct,
    kinds_present,
    pct,
    per_kind,
    per_stream_fps,
    targets,
)


def markdown(run: dict) -> str:
    found = targets(run)
    verdict = "PASS" if all(t["ok"] for t in found) else "FAIL"
    lines = [_header(run), "", f"**{verdict}**", "", "| target | result | measured |", "|---|:---:|---|"]
    lines += [f"| {t['target']} | {'PASS' if t['ok'] else 'FAIL'} | {t['detail']} |" for t in found]
    lines += ["", *_growth_table(run), "", *_streams_table(run), "", *_disk_table(run), ""]
    lines += [*_per_sample(run["samples"]), "", *_end_lines(run)]
    return "\n".join(lines).rstrip() + "\n"


def _windows(run: dict) -> str:
    base, end = baseline_window(run["samples"], run["config"]), end_window(run["samples"], run["config"])
    return f"minutes {base[0]['minute']:g}–{base[-1]['minute']:g} → {end[0]['minute']:g}–{end[-1]['minute']:g}"


def _header(run: dict) -> str:
    c, m, samples = run["config"], run["machine"], run["samples"]
    state = "finished" if "lost" in (run.get("end") or {}) else "did not finish"
    return (
        f"Run of {c['started']} ({state}: {samples[-1]['minute']:g} of {c['minutes']:g} minutes, a sample every "
        f"{c['sample_s']:g} s). Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, load average "
        f"{m['loadavg_start'][0]:.2f} at the start. Product: `python -m stack` (every role, embedded Valkey and "
        f"Triton, SQLite), {len(c['streams'])} streams (looping files, max fps {c['streams'][0]['max_fps']:g}), "
        f"tracking on, a counting line and a line-crossed rule on each, one viewer each (tile size), one webhook "
        f"endpoint; LOG_MAX_MB={c['log_max_mb']:g}, LOG_KEEP={c['log_keep']}. Growth: the median of each "
        f"{c['window_min']:g}-minute window, {_windows(run)}."
    )


def _growth_table(run: dict) -> list[str]:
    samples, config = run["samples"], run["config"]
    pss, anon = per_kind(samples, config, "pss_mb"), per_kind(samples, config, "pss_anon_mb")
    fds = per_kind(samples, config, "fds")
    lines = ["| kind | processes | PSS MB: first sample / baseline / end | growth | without file pages MB: baseline "
             "/ end | growth | fds: first / baseline / end |", "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for kind in kinds_present(samples):
        first = samples[0]["kinds"][kind]
        lines.append(
            f"| {kind} | {samples[-1]['kinds'][kind]['processes']} | {first['pss_mb']:.1f} / {_f(pss[kind][0], 1)} / "
            f"{_f(pss[kind][1], 1)} | {pct(growth_pct(*pss[kind]))} | {_f(anon[kind][0], 1)} / {_f(anon[kind][1], 1)} "
            f"| {pct(growth_pct(*anon[kind]))} | {first['fds']} / {_f(fds[kind][0], 0)} / {_f(fds[kind][1], 0)} |"
        )
    return lines


def _streams_table(run: dict) -> list[str]:
    samples, config = run["samples"], run["config"]
    rates = per_stream_fps(samples, config)
    lines = ["| stream | clip | fps asked | fps achieved: baseline / end / mean of the run | frames to its viewer /s |",
             "|---|---|---:|---:|---:|"]  # fmt: skip
    for spec in config["streams"]:
        name = spec["name"]
        mean = _mean([s["streams"][name]["fps"] for s in samples])
        ws = _mean([s["streams"][name]["ws_fps"] for s in samples])
        lines.append(f"| {name} | {spec['clip']} | {spec['max_fps']:g} | {_f(rates[name][0])} / {_f(rates[name][1])} "
                     f"/ {_f(mean)} | {_f(ws)} |")  # fmt: skip
    return lines


def _disk_table(run: dict) -> list[str]:
    samples = run["samples"]
    first, last = samples[0]["disk"], samples[-1]["disk"]
    hours = max(samples[-1]["minute"] - samples[0]["minute"], 1e-6) / 60
    lines = ["| under VAR_DIR | first MB | last MB | growth MB/h |", "|---|---:|---:|---:|"]
    parts = sorted(set(first["parts"]) | set(last["parts"]), key=lambda p: -last["parts"].get(p, 0))
    for part in ["(all)", *parts]:
        a = first["var_mb"] if part == "(all)" else first["parts"].get(part, 0.0)
        b = last["var_mb"] if part == "(all)" else last["parts"].get(part, 0.0)
        lines.append(f"| {part} | {a:.2f} | {b:.2f} | {(b - a) / hours:+.1f} |")
    return lines


def _per_sample(samples: list[dict]) -> list[str]:
    kinds = kinds_present(samples)
    head = "| min | load 1 m | " + " | ".join(kinds) + " | var MB | logs MB | fps (all) | events stored / received |"
    lines = ["PSS (MB) per kind and the rest, each sample:", "", head, "|" + "---:|" * (len(kinds) + 6)]
    for s in samples:
        pss = " | ".join(f"{s['kinds'][k]['pss_mb']:.0f}" for k in kinds)
        fps = sum(v["fps"] or 0 for v in s["streams"].values())
        lines.append(
            f"| {s['minute']:g} | {s['load'][0]:.2f} | {pss} | {s['disk']['var_mb']:.1f} | "
            f"{s['disk']['logs_mb']:.2f} | {fps:.1f} | {s['events']['raised']} / {s['events']['received']} |"
        )
    lines += _kind_table("PSS without file pages (MB) per kind, each sample:", samples, kinds, "pss_anon_mb", "{:.0f}")
    lines += _kind_table("Open file descriptors per kind, each sample:", samples, kinds, "fds", "{}")
    return lines


def _kind_table(title: str, samples: list[dict], kinds: list[str], field: str, shown: str) -> list[str]:
    lines = ["", title, "", "| min | " + " | ".join(kinds) + " |", "|" + "---:|" * (len(kinds) + 1)]
    for s in samples:
        lines.append(f"| {s['minute']:g} | " + " | ".join(shown.format(s["kinds"][k][field]) for k in kinds) + " |")
    return lines


def _end_lines(run: dict) -> list[str]:
    end = run.get("end") or {}
    if not end:
        return []
    again = ", ".join(f"{k} {n}" for k, n in end.get("restarts", {}).items() if n) or "none"
    left = "; ".join(end.get("survivors", [])) or "none"
    not_running = sorted({f"{n} {v['status']}" for s in run["samples"] for n, v in s["streams"].items()
                          if v.get("status") not in ("running", None)})  # fmt: skip
    return [
        f"Streams seen not running at a sample: {', '.join(not_running) or 'none'}. Processes started again "
        f"during the run (supervisor restarts, new pool processes): {again}. Webhook requests "
        f"{end.get('requests', 0)} for {end.get('messages', 0)} messages ({end.get('types', {})}). Left running "
        f"after the launcher's Ctrl-C (then killed): {left}."
    ]


def _mean(values: list[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else None


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
