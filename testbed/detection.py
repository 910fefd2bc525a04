"""Helpers of the tests that run the real tritonserver: assets, a server, reference boxes, comparisons."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pytest
import supervision as sv

from stack.triton_server import EmbeddedTriton

if TYPE_CHECKING:
    from workers.inference.detector import Detector

ROOT = Path(__file__).resolve().parents[1]
TRITON_VENV = ROOT / ".venv-triton"
ASSETS = Path(os.environ.get("ASSETS_DIR", ROOT / "assets"))
CONF, IOU = 0.25, 0.45
# MANIFEST.md reference boxes (yolov8n_int8, 640) for the confident detections.
BUS_REFERENCE = [34, 230, 800, 766]
BUS_PERSONS_REFERENCE = [[50, 397, 243, 903], [221, 407, 342, 856], [671, 372, 809, 879]]
ZIDANE_PERSONS_REFERENCE = [[109, 197, 1112, 711], [751, 44, 1125, 707]]


def asset(name: str) -> Path:
    path = ASSETS / name
    if not path.is_file():
        pytest.fail(f"Test asset {name} missing in {ASSETS}; set ASSETS_DIR")
    return path


def image(name: str) -> np.ndarray:
    return cv2.imread(str(asset(name)))


def start_triton(work_dir: Path, onnx_name: str, **options: int) -> EmbeddedTriton:
    if not (TRITON_VENV / "bin" / "python").exists():
        pytest.fail(f"No Triton venv at {TRITON_VENV}: create it from requirements-triton.txt")
    server = EmbeddedTriton(venv=TRITON_VENV, onnx_path=asset(onnx_name), work_dir=work_dir, **options)
    server.start(timeout=60)
    return server


def iou(a: list[float] | np.ndarray, b: list[float] | np.ndarray) -> float:
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def names(detections: sv.Detections) -> list[str]:
    return sorted(str(n) for n in detections.data["class_name"])


def boxes_of(detections: sv.Detections, class_name: str) -> np.ndarray:
    return detections.xyxy[detections.data["class_name"] == class_name]


def assert_matches_reference(found: np.ndarray, references: list[list[int]], min_iou: float) -> None:
    for reference in references:
        best = max((iou(box, reference) for box in found), default=0.0)
        assert best >= min_iou, f"no box near {reference} (best IoU {best:.2f}) in {found.round().tolist()}"


def assert_same_detections(left: sv.Detections, right: sv.Detections) -> None:
    assert left.class_id.tolist() == right.class_id.tolist()
    np.testing.assert_allclose(left.xyxy, right.xyxy, atol=0.5)
    np.testing.assert_allclose(left.confidence, right.confidence, atol=1e-3)


def triton_fixture(work_name: str, onnx_name: str, **options: int | str):  # noqa: ANN201 - a pytest fixture
    """A module-scoped fixture serving `onnx_name` from a real tritonserver of its own."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedTriton]:
        started = start_triton(tmp_path_factory.mktemp(work_name), onnx_name, **options)
        yield started
        started.stop()

    return server


def detector_fixture():  # noqa: ANN201 - a pytest fixture
    """A module-scoped fixture: the worker's Detector on the default model of the module's `triton` fixture."""

    @pytest.fixture(scope="module")
    def detector(triton: EmbeddedTriton) -> Iterator["Detector"]:
        from workers.inference.detector import Detector

        found = Detector.init(url=f"http://{triton.url}", model_name="yolo", timeout_s=10)
        yield found
        found.close()

    return detector
