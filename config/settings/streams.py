"""Settings of the frame path: Triton and the model, streams and their lifecycle, analytics. Put together with the
others in config/settings/__init__.py; only settings read the environment (config/env.py)."""

import os

from config.env import env_bool, env_float, env_int, env_path, env_str
from config.settings.paths import BASE_DIR, VAR_DIR

# --- Inference -------------------------------------------------------------------------------------
# Empty means "embedded": the launcher starts the bundled tritonserver and passes its URL down.
TRITON_URL = env_str("TRITON_URL")
TRITON_MODEL_NAME = env_str("TRITON_MODEL_NAME", "yolo")
TRITON_TIMEOUT_S = env_float("TRITON_TIMEOUT_S", 10.0)
# The ONNX file (in ASSETS_DIR) the embedded Triton serves as model TRITON_MODEL_NAME.
YOLO_MODEL_FILE = env_str("YOLO_MODEL", "yolo11n_320_dyn.onnx")
TRITON_MAX_BATCH_SIZE = env_int("TRITON_MAX_BATCH_SIZE", 8)
TRITON_MAX_QUEUE_DELAY_US = env_int("TRITON_MAX_QUEUE_DELAY_US", 2000)
# One single-threaded ONNX Runtime instance per core (at least two, at most eight): on a loaded machine a
# multi-threaded run stalls whenever one of its threads is preempted (measured: docs/benchmarks.md).
TRITON_INSTANCE_COUNT = env_int("TRITON_INSTANCE_COUNT", min(max(len(os.sched_getaffinity(0)), 2), 8))
TRITON_ORT_THREADS = env_int("TRITON_ORT_THREADS", 1)
NMS_IOU = env_float("NMS_IOU", 0.45)
# How frames reach Triton: "auto" (shared memory if Triton is on this host, else HTTP), "shm" or "http".
TRITON_TRANSPORT = env_str("TRITON_TRANSPORT", "auto")
# "server": the model decodes boxes and runs NMS (a few KB per response); "raw": the ONNX output as is.
TRITON_POSTPROCESS = env_str("TRITON_POSTPROCESS", "server")
# Where `manage.py import_model` writes model entries (a remote Triton must read it too, explicit control).
TRITON_MODEL_REPOSITORY = env_path("TRITON_MODEL_REPOSITORY", VAR_DIR / "triton" / "repository")
# Python interpreter that reads ONNX files for import (needs onnxruntime; the Triton venv has it).
TRITON_PYTHON = env_path("TRITON_PYTHON", BASE_DIR / ".venv-triton" / "bin" / "python")

# --- Streams ---------------------------------------------------------------------------------------
DEFAULT_CONFIDENCE = env_float("DEFAULT_CONFIDENCE", 0.25)
DEMO_STREAMS = env_bool("DEMO_STREAMS", True)
# The demo streams' max fps (dashboard/demo.py): the counting demo (the highway clip, its line and rule) where
# tracking counts right, the others lower, so that `make run` leaves a 2-core machine headroom (bench/idle_cpu.py,
# docs/dashboard.md). A max fps keeps a frame only if 1/max_fps has passed since the last one kept: on the 29.8 fps
# highway clip 20 keeps every 2nd frame (14.9 fps, over ANALYTICS_MIN_TRACKING_FPS: no warning), while 10 would
# keep every 3rd or 4th (7.5-9.9 fps, measured 8.2: under it).
DEMO_COUNTING_FPS = env_float("DEMO_COUNTING_FPS", 20.0)
DEMO_MAX_FPS = env_float("DEMO_MAX_FPS", 5.0)
JPEG_QUALITY = env_int("JPEG_QUALITY", 75)
# Live sources: never block 30 s on a silent camera; keep OpenCV's TCP default for RTSP.
SOURCE_FFMPEG_OPTIONS = env_str(
    "OPENCV_FFMPEG_CAPTURE_OPTIONS",
    "rtsp_transport;tcp|timeout;3000000|rw_timeout;3000000|analyzeduration;0|probesize;32",
)
# The lease fences one pipeline per stream (renewed every second); a dead worker's streams move after its TTL.
STREAM_LEASE_TTL_S = env_float("STREAM_LEASE_TTL_S", 5.0)
STREAM_CONTROL_POLL_S = 0.25
# A queued run task nobody took within this time, while slots were free, was lost: it is queued again.
STREAM_DISPATCH_TTL_S = env_float("STREAM_DISPATCH_TTL_S", 30.0)
STREAM_RETRY_BASE_S = env_float("STREAM_RETRY_BASE_S", 2.0)
STREAM_RETRY_MAX_S = env_float("STREAM_RETRY_MAX_S", 60.0)
STREAM_EVENTS_KEEP = env_int("STREAM_EVENTS_KEEP", 500)
# No frame for this long from a live source that reports no error either: show it as reconnecting.
STREAM_STALL_S = env_float("STREAM_STALL_S", 3.0)
# A lost live source is reopened with a backoff (base, 2×base … max); down this long, it shows failed.
STREAM_RECONNECT_BASE_S = env_float("STREAM_RECONNECT_BASE_S", 1.0)
STREAM_RECONNECT_MAX_S = env_float("STREAM_RECONNECT_MAX_S", 10.0)
STREAM_SOURCE_FAIL_AFTER_S = env_float("STREAM_SOURCE_FAIL_AFTER_S", 300.0)

# --- Analytics (tracking, zones, lines) --------------------------------------------------------------
# Below this processed rate the tracker loses fast objects and counts become unreliable: the stream page
# says so. Measured on the highway clip (docs/analytics.md): exact at 15 fps, within 10 % at 10, not below.
ANALYTICS_MIN_TRACKING_FPS = env_float("ANALYTICS_MIN_TRACKING_FPS", 10.0)
