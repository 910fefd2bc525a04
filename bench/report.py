"""The benchmark's Markdown table, its target checks, and docs/benchmarks.md."""

import json
import re
import time
from pathlib import Path

TARGETS = {"ceiling": 0.9, "baseline_cpu": 0.85, "baseline_gpu": 1.5, "cpu_vs_decode": 2.0}
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def summary(results: dict) -> dict:
    """The ratios the targets are about, and whether each is met."""
    gpu = bool(results["machine"].get("gpu"))
    ceiling = {n: results["pipelines"][n]["fps"] / c["fps"] for n, c in results["ceiling"].items()
               if n in results["pipelines"] and c["fps"]}  # fmt: skip
    peer = {n: results["pipelines"][n]["fps"] / b["fps"] for n, b in results["baseline"].items()
            if n in results["pipelines"] and b["fps"]}  # fmt: skip
    ours_cpu = [p["cpu_ms_per_frame"] for p in results["pipelines"].values() if p["cpu_ms_per_frame"]]
    cpu_ratio = max(ours_cpu) / results["decode_only"]["cpu_ms_per_frame"] if ours_cpu else None
    peer_target = TARGETS["baseline_gpu" if gpu else "baseline_cpu"]
    return {
        "pipelines_vs_ceiling": {n: round(r, 2) for n, r in ceiling.items()},
        "pipelines_vs_ceiling_met": all(r >= TARGETS["ceiling"] for r in ceiling.values()),
        "ours_vs_baseline": {n: round(r, 2) for n, r in peer.items()},
        "ours_vs_baseline_target": peer_target,
        "ours_vs_baseline_met": all(r >= peer_target for r in peer.values()),
        "cpu_vs_decode_only": round(cpu_ratio, 2) if cpu_ratio else None,
        "cpu_vs_decode_only_met": cpu_ratio is not None and cpu_ratio <= TARGETS["cpu_vs_decode"],
    }


def markdown(results: dict) -> str:
    s = summary(results)
    lines = [
        "| streams | ceiling (plain client) fps | our pipelines fps | ratio (≥0.9) | baseline fps | ours/baseline"
        f" (≥{s['ours_vs_baseline_target']}) | client CPU ms/frame | RSS MB/stream |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted(set(results["ceiling"]) | set(results["baseline"]), key=int):
        ours, base, top = results["pipelines"].get(n), results["baseline"].get(n), results["ceiling"].get(n)
        lines.append(
            f"| {n} | {_f(top and top['fps'])} | {_f(ours and ours['fps'])} | {_f(s['pipelines_vs_ceiling'].get(n), 2)}"
            f" | {_f(base and base['fps'])} | {_f(s['ours_vs_baseline'].get(n), 2)}"
            f" | {_f(ours and ours['cpu_ms_per_frame'])} | {_f(ours and ours['rss_mb_per_process'], 0)} |"
        )
    lines += ["", *_details(results, s)]
    return "\n".join(lines)


def _details(results: dict, s: dict) -> list[str]:
    decode, t = results["decode_only"], results["transport"]
    lines = [
        f"- CPU per frame outside inference (client process: decode, letterbox, transport, annotate, JPEG): "
        f"worst {_f(max((p['cpu_ms_per_frame'] or 0) for p in results['pipelines'].values()))} ms vs decode-only "
        f"{_f(decode['cpu_ms_per_frame'])} ms at {decode['resolution']} → {_f(s['cpu_vs_decode_only'], 2)}× "
        "(target ≤ 2×)",
    ]
    for n, lat in results["latency"].items():
        lines.append(f"- Latency grab → encoded frame, {n} stream(s) at {results['config']['latency_fps']} fps: "
                     f"p50 {_f(lat['latency_ms_p50'])} ms, p95 {_f(lat['latency_ms_p95'])} ms")  # fmt: skip
    first = results["pipelines"][min(results["pipelines"], key=int)]
    lines.append(f"- Pipeline start → first frame {_f(first['start_s'], 2)} s, stop (terminate + join) "
                 f"{_f(first['stop_s'], 2)} s; RSS {_f(first['rss_mb_per_process'], 0)} MB per stream process")
    for name, row in t.items():
        lines.append(f"- Transport {name} ({row['transport']}): p50 {_f(row['ms_p50'], 2)} ms, p95 "
                     f"{_f(row['ms_p95'], 2)} ms per single-frame request, client CPU "
                     f"{_f(row['client_cpu_ms'], 2)} ms; pixels over the socket "
                     f"{row['pixel_bytes_over_socket']} B, response {row['response_bytes']} B")  # fmt: skip
    if "product" in results:
        lines += _product_lines(results["product"])
    return lines


def _product_lines(product: dict) -> list[str]:
    if "error" in product:
        return [f"- Whole product: failed: {product['error'][:300]}"]
    lines = []
    for n, row in product["streams"].items():
        lines.append(
            f"- Whole product, {n} stream(s) at {product['fps_per_stream']} fps: API call → first frame on the "
            f"WebSocket {_f(row['api_to_first_frame_s'], 2)} s; grab → WebSocket p50 {_f(row['grab_to_ws_ms_p50'])} "
            f"ms, p95 {_f(row['grab_to_ws_ms_p95'])} ms ({row['frames_matched']} frames); stop {_f(row['stop_s'], 2)} "
            f"s; worker memory (PSS) +{_f(row['worker_rss_mb_per_stream'], 0)} MB per stream"
        )
    return lines


def write_docs(path: Path, table: str, results: dict) -> None:
    """Replace the run between the markers in docs/benchmarks.md (the prose around it stays)."""
    m = results["machine"]
    body = (f"{BEGIN}\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, GPU: {m['gpu'] or 'none'}; "
            f"load average at start {m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}. "
            f"Config: `{json.dumps(results['config'])}`. Run took {results['duration_s']} s.\n\n{table}\n\n"
            f"```json\n{json.dumps(summary(results), indent=2)}\n```\n{END}")  # fmt: skip
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    path.write_text(re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: body, text, flags=re.S))


def save_results(results: dict, *, root: Path, prefix: str, started: float) -> None:
    """Write a run's raw numbers to var/bench/<prefix><stamp>.json and var/bench/<prefix>latest.json."""
    out = root / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    for path in (out / f"{prefix}{stamp}.json", out / f"{prefix}latest.json"):
        path.write_text(json.dumps(results, indent=2))
