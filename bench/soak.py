"""The soak (`make soak`, not part of `make test`): the whole product as `make run` runs it, for an hour by default,
with 8 streams of the sample clips (looping files at a max fps that 2 cores keep up with), tracking, a counting
line and a line-crossed rule on each, a webhook receiver and a viewer per stream. Every sample (a minute) it
writes and prints how memory (PSS) and open files per process kind, disk under VAR_DIR and its logs, fps per
stream, events raised against webhooks received, and the machine's load moved; at the end it stops the streams,
waits for the outbox to drain, judges the targets (docs/soak.md) and stops the product with Ctrl-C (SIGINT).

    ASSETS_DIR=../shared/assets .venv/bin/python -m bench.soak --minutes 60 --write-docs
    ASSETS_DIR=../shared/assets .venv/bin/python -m bench.soak --minutes 3 --sample-s 30 --baseline-min 1 --window-min 1
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import soak_report, soak_setup, soak_tables  # noqa: E402
from bench.machine import machine  # noqa: E402
from bench.soak_clients import Viewers, WebhookCounter, wait_for  # noqa: E402
from bench.soak_sample import Sampler  # noqa: E402
from bench.soak_stack import SoakProduct  # noqa: E402
from stack.assets import ensure_assets  # noqa: E402

CLIPS = "traffic_highway.mp4,one-by-one-person-detection.mp4,city_traffic_1080p_vp9.mp4"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES") or 60))
    parser.add_argument("--sample-s", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--baseline-min", type=float, default=5.0, help="growth is judged from this minute on")
    parser.add_argument("--window-min", type=float, default=5.0, help="minutes summed up by a median at each end")
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--max-fps", type=float, default=4.0, help="asked of each stream")
    parser.add_argument("--clips", default=CLIPS, help="comma-separated, under --assets; the streams take turns")
    parser.add_argument("--assets", default=os.environ.get("ASSETS_DIR", str(ROOT / "assets")))
    parser.add_argument("--out", default=str(ROOT / "var" / "soak"), help="where the report (md, json) is written")
    parser.add_argument("--log-max-mb", type=float, default=10.0, help="the product's LOG_MAX_MB")
    parser.add_argument("--log-keep", type=int, default=3, help="the product's LOG_KEEP")
    parser.add_argument("--events-media-max-mb", type=float, default=2048.0, help="the product's EVENTS_MEDIA_MAX_MB")
    parser.add_argument("--keep-var", action="store_true", help="keep the product's VAR_DIR (logs, database)")
    parser.add_argument("--write-docs", action="store_true", help="write the report into docs/soak.md")
    return parser.parse_args(argv)


def _stop_on_sigterm() -> None:
    """`kill` of the soak stops the product like Ctrl-C does (the finally blocks run)."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def soak(args: argparse.Namespace, product: SoakProduct, run: dict, report: "Report") -> None:
    """Set the streams up, sample until the time is up, then stop the streams and compare events."""
    stack, assets = product.stack, Path(args.assets)
    receiver = WebhookCounter().start()
    viewers = None
    try:
        endpoint_id = soak_setup.create_endpoint(stack, receiver)
        specs = soak_setup.specs(args.streams, args.clips.split(","), args.max_fps)
        streams = {soak_setup.create_stream(stack, spec, assets): spec for spec in specs}
        _log(f"{len(streams)} streams created; waiting for them to run")
        for stream_id in streams:
            stack.wait_for_status(stream_id, "running", timeout=180)
        headers = {"Cookie": stack.session_cookie(), "Origin": stack.url}
        viewers = Viewers(ws_base=stack.ws_base, headers=headers).start(list(streams))
        if not wait_for(lambda: all(s.latest and s.frames for s in viewers.states.values()), timeout=120):
            _log("not every viewer has frames and metrics after 2 min; sampling anyway")
        sampler = Sampler(stack=stack, tree=product.tree, var_dir=product.var_dir, viewers=viewers,
                          receiver=receiver, streams=streams)  # fmt: skip
        _sample_until_done(args, sampler, run, report)
        _log("stopping the streams and waiting for the outbox to drain")
        run["end"] = soak_setup.stop_and_drain(stack, list(streams), receiver, endpoint_id)
    finally:
        if viewers is not None:
            viewers.stop()
        receiver.stop()
        counted = {"requests": receiver.requests, "messages": len(receiver.message_ids), "types": dict(receiver.types)}
        run["end"] = counted | run.get("end", {})  # an interrupted run still says what reached the receiver


def _sample_until_done(args: argparse.Namespace, sampler: Sampler, run: dict, report: "Report") -> None:
    started = time.monotonic()
    count = 0
    while True:
        minute = (time.monotonic() - started) / 60
        run["samples"].append(sampler.sample(minute))
        report.write(run)
        _log(_one_line(run))
        if minute >= args.minutes - 1e-3:
            return
        count += 1
        next_at = started + min(count * args.sample_s, args.minutes * 60)
        time.sleep(max(0.0, next_at - time.monotonic()))


def _one_line(run: dict) -> str:
    s = run["samples"][-1]
    pss = sum(k["pss_mb"] for k in s["kinds"].values())
    fps = sum(v["fps"] or 0 for v in s["streams"].values())
    return (
        f"minute {s['minute']:g}: load {s['load'][0]:.2f}, PSS {pss:.0f} MB, fds "
        f"{sum(k['fds'] for k in s['kinds'].values())}, var {s['disk']['var_mb']:.1f} MB (logs "
        f"{s['disk']['logs_mb']:.2f}), {fps:.1f} fps, events {s['events']['raised']} raised / "
        f"{s['events']['received']} received"
    )


class Report:
    """The run's record as JSON and its report as Markdown, rewritten after each sample."""

    def __init__(self, out_dir: Path, stamp: str) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.json_path, self.md_path = out_dir / f"soak-{stamp}.json", out_dir / f"soak-{stamp}.md"

    def write(self, run: dict) -> str:
        self.json_path.write_text(json.dumps(run, indent=1))
        if not run["samples"]:
            return ""
        text = soak_tables.markdown(run)
        self.md_path.write_text(text)
        return text


def _config(args: argparse.Namespace) -> dict:
    specs = soak_setup.specs(args.streams, args.clips.split(","), args.max_fps)
    return {"started": time.strftime("%Y-%m-%d %H:%M %Z"), "minutes": args.minutes, "sample_s": args.sample_s,
            "baseline_min": args.baseline_min, "window_min": args.window_min, "log_max_mb": args.log_max_mb,
            "log_keep": args.log_keep, "events_media_max_mb": args.events_media_max_mb,
            "streams": [vars(spec) for spec in specs]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The launcher fetches only the model when demo streams are off: the clips are the soak's to find or fetch.
    ensure_assets(args.clips.split(","), assets_dir=Path(args.assets), assets_url=os.environ.get("ASSETS_URL", ""))
    _stop_on_sigterm()
    run = {"config": _config(args), "machine": machine(), "samples": []}
    report = Report(Path(args.out), time.strftime("%Y%m%d-%H%M%S"))
    work_dir = Path(tempfile.mkdtemp(prefix="soak-"))
    _log(f"starting the product (python -m stack) in {work_dir}")
    caps = {"LOG_MAX_MB": args.log_max_mb, "LOG_KEEP": args.log_keep, "EVENTS_MEDIA_MAX_MB": args.events_media_max_mb}
    product = SoakProduct.start(work_dir=work_dir, assets_dir=Path(args.assets), streams=args.streams, caps=caps)
    try:
        soak(args, product, run, report)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the product's stop short
        _log("stopping the product (SIGINT)")
        run.setdefault("end", {})["survivors"] = product.stop()
        run["end"]["restarts"] = _restarts(product, run)
        text = report.write(run)
        _log(f"report: {report.md_path} and {report.json_path}")
        if not args.keep_var:
            shutil.rmtree(work_dir, ignore_errors=True)
    print(text)
    if args.write_docs:
        soak_report.write_docs(ROOT / "docs" / "soak.md", text)
    return 0 if run["samples"] and all(t["ok"] for t in soak_report.targets(run)) else 1


def _restarts(product: SoakProduct, run: dict) -> dict[str, int]:
    """Processes seen per kind beyond those running at the last sample: children the launcher started again."""
    if not run["samples"]:
        return {}
    running = {k: v["processes"] for k, v in run["samples"][-1]["kinds"].items()}
    return {k: max(0, n - running.get(k, 0)) for k, n in product.tree.seen_per_kind().items()}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the product is stopped and the report written by then (main's finally)
        sys.exit(130)
