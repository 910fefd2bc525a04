"""The model-repository writer (run as the launcher and `import_model` run it), and what it copies beside the
python model."""

import json
import subprocess
from pathlib import Path

import pytest

from stack.triton_server import PREPARE_SCRIPT
from testbed.detection import TRITON_VENV, asset
from yolo_triton.repository import MODEL_SAFE_MODULES


def test_static_batch_model_is_served_with_max_batch_size_1(tmp_path: Path):
    """GIVEN an ONNX whose batch axis is fixed at 1
    WHEN the repository is prepared asking for max batch 8
    THEN the config says max_batch_size 1 without dynamic batching, and a warning is printed."""
    result = subprocess.run(
        [str(TRITON_VENV / "bin" / "python"), str(PREPARE_SCRIPT), "--onnx", str(asset("yolov8n_int8.onnx")),
         "--out", str(tmp_path), "--max-batch-size", "8", "--postprocess", "raw", "--no-rect-inputs"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    config = (tmp_path / "yolo" / "config.pbtxt").read_text()
    assert "max_batch_size: 1\n" in config and "dynamic_batching" not in config
    assert "dims: [640, 640, 3]" in config and "dims: [84, 8400]" in config
    assert "static batch of 1" in result.stderr
    version = tmp_path / "yolo" / "1"
    assert (version / "model.py").is_file() and (version / "yolo_triton" / "decode.py").is_file()


def test_the_model_code_imports_only_the_standard_library_and_numpy(tmp_path: Path):
    """GIVEN an entry written for the python backend
    WHEN its copied yolo_triton package is imported by a bare interpreter that sees only that directory
    (as Triton's stub sees it: no project, no OpenCV, no supervision)
    THEN contract and decode import, and nothing beyond the standard library and numpy was loaded."""
    subprocess.run(
        [str(TRITON_VENV / "bin" / "python"), str(PREPARE_SCRIPT), "--onnx", str(asset("yolo11n_320_dyn.onnx")),
         "--out", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    version = tmp_path / "yolo" / "1"
    assert sorted(p.name for p in (version / "yolo_triton").glob("*.py")) == sorted(MODEL_SAFE_MODULES)
    # From tmp_path, not the checkout: only the copied package can satisfy the imports.
    probe = (
        f"import sys; sys.path.insert(0, {str(version)!r}); "
        "from yolo_triton.contract import IMAGES; from yolo_triton.decode import decode_output; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'cv2', 'supervision', 'django', 'workers'}))"
    )
    result = subprocess.run([str(TRITON_VENV / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                            check=True, cwd=tmp_path)  # fmt: skip
    assert result.stdout.strip() == "[]"


def prepare(tmp_path: Path, onnx_name: str, *options: str) -> str:
    subprocess.run(
        [str(TRITON_VENV / "bin" / "python"), str(PREPARE_SCRIPT), "--onnx", str(asset(onnx_name)),
         "--out", str(tmp_path), *options],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return (tmp_path / "yolo" / "config.pbtxt").read_text()


@pytest.mark.parametrize("postprocess", ["server", "raw"])
def test_a_square_export_is_also_served_at_16_9_and_4_3(tmp_path: Path, postprocess: str):
    """GIVEN the square yolo11n 320 export
    WHEN the repository is prepared (server-side or raw post-processing)
    THEN the entry holds 192×320 and 256×320 variants beside it, the image input takes any H and W, and the
    input_shapes parameter lists the three sizes, the default (square) first, each with its ONNX."""
    config = prepare(tmp_path, "yolo11n_320_dyn.onnx", "--postprocess", postprocess)

    assert '{ name: "images", data_type: TYPE_UINT8, dims: [-1, -1, 3] }' in config
    if postprocess == "raw":
        assert "dims: [84, -1]" in config
    line = next(line for line in config.splitlines() if '"input_shapes"' in line)
    shapes = json.loads(json.loads(line.split("string_value: ", 1)[1].rsplit(" }", 2)[0]))
    assert list(shapes) == ["320x320", "192x320", "256x320"]
    assert shapes["320x320"] == str(asset("yolo11n_320_dyn.onnx").resolve())
    for key in ("192x320", "256x320"):
        assert (tmp_path / "yolo" / shapes[key]).is_file()


def test_rectangular_inputs_can_be_turned_off(tmp_path: Path):
    """GIVEN the square export WHEN prepared with --no-rect-inputs THEN the input is the fixed square alone."""
    config = prepare(tmp_path, "yolo11n_320_dyn.onnx", "--no-rect-inputs")

    assert "dims: [320, 320, 3]" in config and "input_shapes" not in config
    assert sorted(p.name for p in (tmp_path / "yolo" / "1").glob("*.onnx")) == []
