"""Which Triton settings serve most frames here: the plain-client ceiling for each combination of instance
count, ONNX Runtime threads and queue delay (what the TRITON_* defaults were chosen from).

    ASSETS_DIR=../shared/assets .venv/bin/python -m bench.sweep [--concurrency 4,8] [--window 5]
"""

import argparse
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import ceiling  # noqa: E402
from bench.suite import _letterboxed_frame  # noqa: E402
from stack.triton_server import EmbeddedTriton  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", default=os.environ.get("ASSETS_DIR", str(ROOT / "assets")))
    parser.add_argument("--model", default="yolo11n_320_dyn.onnx")
    parser.add_argument("--concurrency", default="4,8")
    parser.add_argument("--instances", default="1,2")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--delays", default="0,2000")
    parser.add_argument("--window", type=float, default=5.0)
    args = parser.parse_args()
    rows = []
    grid = itertools.product(*(map(int, getattr(args, k).split(",")) for k in ("instances", "threads", "delays")))
    for instances, threads, delay in grid:
        with tempfile.TemporaryDirectory(prefix="sweep-") as tmp:
            server = EmbeddedTriton(venv=ROOT / ".venv-triton", onnx_path=Path(args.assets) / args.model,
                                    work_dir=Path(tmp), instance_count=instances, ort_threads=threads,
                                    queue_delay_us=delay)  # fmt: skip
            server.start()
            try:
                pixels = _letterboxed_frame(server.url, str(Path(args.assets) / "traffic_highway.mp4"))
                fps = {c: round(ceiling.plain_loop(server.url, "yolo", pixels, int(c), 2.0, args.window)["fps"], 1)
                       for c in args.concurrency.split(",")}  # fmt: skip
            finally:
                server.stop()
        rows.append({"instances": instances, "ort_threads": threads, "queue_delay_us": delay, "fps": fps})
        print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"load_average": os.getloadavg(), "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
