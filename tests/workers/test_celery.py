"""The stream worker's process set-up (workers/celery.py)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, os, sys, threading
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()
from workers.celery import preload_frame_path
preload_frame_path()
import gc
print(json.dumps({"modules": sorted(m.split(".")[0] for m in sys.modules), "threads": threading.active_count(),
                  "frozen": gc.get_freeze_count()}))
"""


def test_the_preload_before_the_fork_imports_the_frame_path_but_not_tritonclient_and_starts_no_thread():
    """GIVEN a fresh interpreter with Django set up WHEN a stream worker's main process preloads the frame path
    THEN streamvision, supervision and OpenCV are imported and frozen for the pool to share, tritonclient (unsafe
    to import before a fork) is not, and no thread was started (a fork copies only the thread that forks)."""
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"streamvision", "supervision", "cv2", "trackers"} <= set(seen["modules"])
    assert "tritonclient" not in seen["modules"] and "gevent" not in seen["modules"]
    assert seen["threads"] == 1
    assert seen["frozen"] > 10_000
