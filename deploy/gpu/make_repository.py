"""The former name of `yolo_triton/served/prepare_repository.py --profile gpu` (docs/deploy-gpu.md), kept for scripts
that
still call it: same options."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from yolo_triton.repository import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--profile", "gpu", *sys.argv[1:]]))
