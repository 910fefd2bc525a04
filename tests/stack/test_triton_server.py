"""EmbeddedTriton: models imported into its repository come back after a restart, a broken one harms nothing,
a killed server is cleaned up after, and a failed start says why; the GPU profile serves the same contract."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stack.processes import wait_until
from stack.triton_server import PREPARE_SCRIPT, EmbeddedTriton
from testbed.detection import TRITON_VENV, asset, start_triton
from yolo_triton.admin import TritonAdmin


def write_entry(repository: Path, name: str, onnx: Path) -> Path:
    subprocess.run(
        [str(TRITON_VENV / "bin" / "python"), str(PREPARE_SCRIPT), "--onnx", str(onnx), "--out", str(repository),
         "--model-name", name, "--copy-onnx"],
        check=True, capture_output=True,
    )  # fmt: skip
    return repository / name


def test_imported_models_are_served_again_and_a_broken_one_does_not_stop_the_server(tmp_path: Path):
    """GIVEN a repository that already holds an imported model and an entry whose ONNX file is gone
    WHEN the embedded server starts
    THEN the default and the imported model are ready, and the broken one is listed as unavailable with a reason."""
    repository = tmp_path / "work" / "repository"
    write_entry(repository, "imported", asset("yolo11n_320_dyn.onnx"))
    broken = write_entry(repository, "broken", asset("yolo11n_320_dyn.onnx"))
    (broken / "1" / "model.onnx").unlink()
    server = EmbeddedTriton(venv=TRITON_VENV, onnx_path=asset("yolo11n_320_dyn.onnx"), work_dir=tmp_path / "work")

    server.start(timeout=60)
    try:
        index = {entry["name"]: entry for entry in TritonAdmin(server.url).index()}
    finally:
        server.stop()

    assert server.repository == repository
    assert index["yolo"]["state"] == "READY" and index["imported"]["state"] == "READY"
    assert index["broken"]["state"] == "UNAVAILABLE" and index["broken"]["reason"]


def test_a_default_model_that_fails_to_load_fails_the_start_with_tritons_reason(tmp_path: Path):
    """GIVEN a default model whose config, once written, points at an ONNX file that does not exist
    WHEN the server starts
    THEN start() raises at once with Triton's reason instead of waiting for its timeout."""
    server = EmbeddedTriton(venv=TRITON_VENV, onnx_path=asset("yolo11n_320_dyn.onnx"), work_dir=tmp_path / "work")
    server._prepare_repository = lambda: _break(EmbeddedTriton._prepare_repository(server))

    with pytest.raises(RuntimeError, match="model yolo failed to load"):
        server.start(timeout=60)


def _break(repository: Path) -> Path:
    config = repository / "yolo" / "config.pbtxt"
    config.write_text(config.read_text().replace('key: "onnx_path" value: { string_value: "', 'key: "onnx_path" '
                                                 'value: { string_value: "/nonexistent'))  # fmt: skip
    return repository


def test_gpu_profile_ensemble_gives_the_default_models_detections(tmp_path: Path):
    """GIVEN the GPU profile's repository (UINT8-wrapped ONNX step, post-processing step, ensemble), with its
    inference step on the CPU python backend (--cpu-check), next to the default model
    WHEN bus.jpg and a square crop of zidane.jpg are detected through the ensemble in one batch and through the
    default model (square frames: the default model's 16:9 input would see a 16:9 frame differently, and the GPU
    profile serves the square input only)
    THEN the ensemble has the same contract (server-side NMS, 80 names) and the same detections."""
    import cv2

    from testbed.detection import CONF, IOU, assert_same_detections
    from workers.inference.detector import Detector

    repository = tmp_path / "work" / "repository"
    subprocess.run(
        [sys.executable, str(PREPARE_SCRIPT), "--profile", "gpu", "--onnx",
         str(asset("yolo11n_320_dyn.onnx")), "--out", str(repository), "--model-name", "gpuprof",
         "--max-batch-size", "8", "--cpu-check"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = EmbeddedTriton(venv=TRITON_VENV, onnx_path=asset("yolo11n_320_dyn.onnx"), work_dir=tmp_path / "work")
    server.start(timeout=60)
    try:
        ensemble = Detector.init(url=server.url, model_name="gpuprof")
        default = Detector.init(url=server.url, model_name="yolo")
        bus, zidane = (cv2.imread(str(asset(name))) for name in ("bus.jpg", "zidane.jpg"))
        frames = [bus, zidane[:, 280:1000].copy()]
        found = ensemble.detect(frames, confidence=CONF, iou=IOU)
        expected = default.detect(frames, confidence=CONF, iou=IOU)
        only_bus = ensemble.detect(frames[:1], confidence=CONF, iou=IOU, classes=["bus"])
        ensemble.close()
        default.close()
    finally:
        server.stop()

    assert ensemble.model.server_side and len(ensemble.class_names) == 80
    for left, right in zip(found, expected, strict=True):
        assert len(left) > 0
        assert_same_detections(left, right)
    assert list(only_bus[0].data["class_name"]) == ["bus"]


def test_killed_server_is_reported_and_stop_cleans_up_after_it(tmp_path: Path):
    """GIVEN a running server that is then killed with SIGKILL (no chance to clean up)
    WHEN the owner notices and calls stop()
    THEN is_running() turned False, its model stub is gone and its shared-memory region is removed."""
    server = start_triton(tmp_path, "yolo11n_320_dyn.onnx")
    pid = server.pid
    stubs = [p for p in Path("/proc").glob("[0-9]*") if _parent_pid(p) == pid]
    regions = [Path(line.split()[-1]) for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
               if "/dev/shm/triton_python_backend_" in line]  # fmt: skip
    assert stubs and regions

    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not server.is_running(), timeout=10, what="the killed server to be reported")
    server.stop()

    assert not any(region.exists() for region in regions)
    # SIGKILL to the process group is asynchronous: the stub may take a moment to finish dying.
    wait_until(lambda: all(_state(p) in ("Z", "X", "gone") for p in stubs), timeout=10, what="model stub to exit")


def _parent_pid(proc_dir: Path) -> int | None:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _state(proc_dir: Path) -> str:
    try:
        return (proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def test_start_failure_explains_itself(tmp_path: Path):
    """GIVEN a file that is not an ONNX model WHEN the embedded server starts THEN the error says why."""
    bogus = tmp_path / "bogus.onnx"
    bogus.write_text("not a model")
    server = EmbeddedTriton(venv=TRITON_VENV, onnx_path=bogus, work_dir=tmp_path / "work")

    with pytest.raises(RuntimeError, match="prepare_repository.py failed"):
        server.start(timeout=30)
