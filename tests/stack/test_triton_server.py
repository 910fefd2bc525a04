"""EmbeddedTriton: models imported into its repository come back after a restart; a broken one harms nothing."""

import subprocess
import sys
from pathlib import Path

import pytest

from catalog.triton_api import TritonRepository
from stack.triton_server import PREPARE_SCRIPT, EmbeddedTriton
from tests.workers.test_triton import TRITON_VENV, asset

ROOT = Path(__file__).resolve().parents[2]


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
        index = {entry["name"]: entry for entry in TritonRepository(server.url).index()}
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
    WHEN bus.jpg and zidane.jpg are detected through the ensemble in one batch and through the default model
    THEN the ensemble has the same contract (server-side NMS, 80 names) and the same detections."""
    import cv2

    from tests.workers.test_triton import CONF, IOU, assert_same_detections
    from workers.detector import Detector

    repository = tmp_path / "work" / "repository"
    subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "gpu" / "make_repository.py"), "--onnx",
         str(asset("yolo11n_320_dyn.onnx")), "--out", str(repository), "--model-name", "gpuprof",
         "--max-batch-size", "8", "--cpu-check"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = EmbeddedTriton(venv=TRITON_VENV, onnx_path=asset("yolo11n_320_dyn.onnx"), work_dir=tmp_path / "work")
    server.start(timeout=60)
    try:
        ensemble = Detector.init(url=server.url, model_name="gpuprof")
        default = Detector.init(url=server.url, model_name="yolo")
        frames = [cv2.imread(str(asset(name))) for name in ("bus.jpg", "zidane.jpg")]
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
