"""The whole-product benchmark's table (docs/benchmarks.md's headline) and its place in the docs."""

import re
from pathlib import Path

BEGIN, END = "<!-- whole:begin -->", "<!-- whole:end -->"


def markdown(results: dict) -> str:
    lines = [
        "| streams | watched | product, processed fps | peer fps: files / paced as cameras | product / peer: "
        "files / cameras | cores: stream workers / Triton / web / other | cores: bench clients / whole machine | "
        "worker CPU ms per frame | frames on the WebSockets /s | inference round trip ms (p50) |",
        "|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["rows"]:
        c, fps, peer = row["cores"], row["fps"], row.get("peer_fps") or {}
        ratios = " / ".join(f"{fps / peer[k]:.2f}" if peer.get(k) else "–" for k in ("files", "cameras"))
        per_frame = f"{1000 * c['workers'] / fps:.1f}" if fps else "–"
        lines.append(
            f"| {row['streams']} | {'yes' if row['watched'] else 'no'} | {fps:.1f} | {_f(peer.get('files'))} / "
            f"{_f(peer.get('cameras'))} | {ratios} | {c['workers']:.2f} / {c['triton']:.2f} / {c['web']:.2f} / "
            f"{c['other']:.2f} | {_f(c.get('bench'), 2)} / {_f(c.get('machine'), 2)} | {per_frame} | "
            f"{row['ws_fps']:.1f} | {_f(row.get('inference_ms_p50'))} |"
        )
    lines += ["", _memory(results)]
    return "\n".join(lines)


def _memory(results: dict) -> str:
    idle = results["worker_pss_idle_mb"]
    by_n = {row["streams"]: row["worker_pss_mb"] for row in results["rows"]}
    parts = [f"{n} stream(s) {mb:.0f} MB (+{(mb - idle) / n:.0f} MB per stream)" for n, mb in sorted(by_n.items())]
    return f"Stream workers' PSS (pool of {max(by_n)} processes): idle {idle:.0f} MB; " + "; ".join(parts) + "."


def write_docs(path: Path, table: str, results: dict) -> None:
    """Replace the run between the whole-product markers in docs/benchmarks.md (the prose around it stays)."""
    load = f"load average at start {results['loadavg_start'][0]:.2f}, at end {results['loadavg_end'][0]:.2f}"
    cfg = results["config"]
    body = (f"{BEGIN}\n{load}; warm-up {cfg['warmup']} s, window {cfg['window']} s per row; run took "
            f"{results['duration_s']} s.\n\n{table}\n{END}")  # fmt: skip
    text = path.read_text()
    if BEGIN not in text:
        text = text.replace("## Latest run", f"## Whole product (latest run)\n\n{BEGIN}\n{END}\n\n## Latest run", 1)
    path.write_text(re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: body, text, flags=re.S))


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
