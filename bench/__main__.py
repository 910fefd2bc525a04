"""`python -m bench` (what `make bench` runs): the whole comparison suite in one run, on one machine, one model
and one clip. Prints a Markdown table and writes JSON (var/bench/latest.json); `--write-docs` also puts the
run into docs/benchmarks.md.

    ASSETS_DIR=../shared/assets .venv/bin/python -m bench [--quick] [--write-docs] [--product]
    ASSETS_DIR=../shared/assets .venv/bin/python -m bench whole [--quick] [--write-docs]   # the whole product
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from django.conf import settings  # noqa: E402

from bench import report, suite  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", default=os.environ.get("ASSETS_DIR", str(ROOT / "assets")))
    parser.add_argument("--model", default=os.environ.get("YOLO_MODEL", "yolo11n_320_dyn.onnx"))
    parser.add_argument("--video", default="traffic_highway.mp4")
    parser.add_argument("--streams", default="1,2,4,8", help="stream counts for ceiling and pipelines")
    parser.add_argument("--baseline-streams", default="1,4,8")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--window", type=float, default=8.0, help="measured seconds per point")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the throughput sweep; medians are reported")
    parser.add_argument("--baseline-threads", type=int, default=2,
                        help="ONNX Runtime threads of the in-process baseline (as users run it: one per core)")
    parser.add_argument("--latency-fps", type=float, default=5.0, help="per-stream camera rate for latency")
    parser.add_argument("--quick", action="store_true", help="1 and 4 streams, short windows (development)")
    parser.add_argument("--product", action="store_true", help="also measure the whole product (API, WebSocket)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md with this run")
    parser.add_argument("--triton-url", default=os.environ.get("TRITON_URL", ""), help="use this server")
    for name, setting in (("max-batch-size", "TRITON_MAX_BATCH_SIZE"), ("queue-delay-us", "TRITON_MAX_QUEUE_DELAY_US"),
                          ("instance-count", "TRITON_INSTANCE_COUNT"), ("ort-threads", "TRITON_ORT_THREADS")):
        # The product's defaults (and TRITON_* overrides) unless given here.
        parser.add_argument(f"--{name}", type=int, default=getattr(settings, setting))
    args = parser.parse_args()
    if args.quick:
        args.streams, args.baseline_streams, args.warmup, args.window = "1,4", "1,4", 2.0, 4.0
    return args


def main() -> int:
    if sys.argv[1:2] == ["whole"]:
        from bench import whole  # the headline: the product as `make run` starts it, beside the peer

        return whole.main(sys.argv[2:])
    args = parse_args()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        results = suite.run(args, Path(tmp))
    results["duration_s"] = round(time.time() - started, 1)
    report.save_results(results, root=ROOT, prefix="", started=started)
    table = report.markdown(results)
    print(table)
    print(json.dumps(report.summary(results), indent=2))
    print(f"\nFull JSON: {ROOT / 'var' / 'bench' / 'latest.json'}")
    if args.write_docs:
        report.write_docs(ROOT / "docs" / "benchmarks.md", table, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
