"""Detection through the real embedded tritonserver (python backend + ONNX Runtime on CPU), no Django."""

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv
import tritonclient.http as httpclient

from stack.processes import wait_until
from stack.triton_server import PREPARE_SCRIPT, EmbeddedTriton, clean_stale_shm
from workers.detector import Detector
from workers.triton import TritonInferenceError, TritonModel
from workers.yolo import letterbox

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="module")
def triton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedTriton]:
    server = start_triton(tmp_path_factory.mktemp("triton320"), "yolo11n_320_dyn.onnx")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def detector(triton: EmbeddedTriton) -> Iterator[Detector]:
    detector = Detector.init(url=f"http://{triton.url}", model_name="yolo", timeout_s=10)
    yield detector
    detector.close()


def test_bus_has_four_persons_and_one_bus(detector: Detector):
    """GIVEN the 320 model behind Triton
    WHEN bus.jpg is detected at confidence 0.25, IoU 0.45
    THEN 4 persons and 1 bus, the bus and the 3 clear persons where the reference puts them."""
    (found,) = detector.detect([image("bus.jpg")], confidence=CONF, iou=IOU)

    assert names(found) == ["bus", "person", "person", "person", "person"]
    assert found.xyxy.dtype == np.float32 and found.class_id.dtype == np.int64
    assert_matches_reference(boxes_of(found, "bus"), [BUS_REFERENCE], min_iou=0.85)
    assert_matches_reference(boxes_of(found, "person"), BUS_PERSONS_REFERENCE, min_iou=0.75)
    h, w = 1080, 810
    assert (found.xyxy >= 0).all() and (found.xyxy[:, [0, 2]] <= w).all() and (found.xyxy[:, [1, 3]] <= h).all()


def test_zidane_has_two_persons(detector: Detector):
    """GIVEN the 320 model WHEN zidane.jpg (1280x720) is detected THEN exactly 2 persons, near the reference."""
    (found,) = detector.detect([image("zidane.jpg")], confidence=CONF, iou=IOU)

    assert names(found) == ["person", "person"]
    assert_matches_reference(found.xyxy, ZIDANE_PERSONS_REFERENCE, min_iou=0.8)


def test_one_batched_call_equals_separate_calls(detector: Detector):
    """GIVEN bus.jpg and zidane.jpg
    WHEN detected together in one call and each on its own
    THEN the detections are the same, in input order."""
    bus, zidane = image("bus.jpg"), image("zidane.jpg")

    batched = detector.detect([bus, zidane], confidence=CONF, iou=IOU)
    separate = detector.detect([bus], confidence=CONF, iou=IOU) + detector.detect([zidane], confidence=CONF, iou=IOU)

    assert len(batched) == 2
    for together, alone in zip(batched, separate, strict=True):
        assert_same_detections(together, alone)


def test_more_frames_than_max_batch_size_are_split(detector: Detector):
    """GIVEN 10 frames and a model whose max_batch_size is 8
    WHEN detected in one call
    THEN 10 results come back, each equal to the single-frame result."""
    bus = image("bus.jpg")
    (alone,) = detector.detect([bus], confidence=CONF, iou=IOU)

    results = detector.detect([bus] * 10, confidence=CONF, iou=IOU)

    assert len(results) == 10
    for result in results:
        assert_same_detections(result, alone)


def test_detector_built_in_one_thread_works_in_another(detector: Detector):
    """GIVEN a detector already used from this thread (as the worker builds it before the pipeline starts)
    WHEN the pipeline's own thread detects with it, twice
    THEN it works there too (each thread gets its own gevent-bound connection)."""
    detector.detect([image("zidane.jpg")], confidence=CONF, iou=IOU)

    with ThreadPoolExecutor(1) as pool:
        for _ in range(2):
            (found,) = pool.submit(detector.detect, [image("zidane.jpg")], confidence=CONF, iou=IOU).result()
            assert names(found) == ["person", "person"]


def test_detector_reports_model_metadata(detector: Detector):
    """GIVEN the served model WHEN asked THEN it reports the 80 COCO names and nothing for an empty call."""
    assert len(detector.class_names) == 80
    assert detector.class_names[:2] == ["person", "bicycle"] and detector.class_names[5] == "bus"
    assert detector.detect([], confidence=CONF, iou=IOU) == []


def test_blank_frame_gives_empty_detections_with_class_names(detector: Detector):
    """GIVEN a uniform grey 720p frame WHEN detected THEN no boxes, but the class_name field is still there."""
    (found,) = detector.detect([np.full((720, 1280, 3), 114, np.uint8)], confidence=CONF, iou=IOU)

    assert len(found) == 0
    assert found.data["class_name"].shape == (0,)


def test_concurrent_requests_are_batched_by_triton_and_answered_separately(triton: EmbeddedTriton):
    """GIVEN four clients sending different single frames at once, each with its own confidence threshold
    WHEN Triton's dynamic batcher merges their requests into one model execution
    THEN each client still gets its own frame's detections, filtered by its own threshold."""
    frames = [letterbox(image(name), (320, 320))[0][None] for name in ("bus.jpg", "zidane.jpg")]
    thresholds = [0.25, 0.25, 0.6, 0.6]
    models = [TritonModel.init(url=triton.url, model_name="yolo") for _ in range(4)]
    try:
        expected = [models[0].infer(frames[i % 2], confidence=thresholds[i], iou=IOU)[0] for i in range(4)]
        assert len(expected[0]) > len(expected[2]) > 0  # the thresholds make a visible difference on bus.jpg
        merged_before = merged_executions(triton)
        deadline = time.monotonic() + 20
        with ThreadPoolExecutor(len(models)) as pool:
            # Single-frame requests only, so any new execution of more than one frame merged requests.
            while merged_executions(triton) == merged_before:
                assert time.monotonic() < deadline, "Triton never batched concurrent requests"
                outputs = list(pool.map(
                    lambda i: models[i].infer(frames[i % 2], confidence=thresholds[i], iou=IOU)[0], range(4)
                ))  # fmt: skip
                for i, output in enumerate(outputs):
                    np.testing.assert_allclose(output, expected[i], atol=1e-3)
    finally:
        for model in models:
            model.close()


def test_batch_of_eight_mixed_frames_equals_single_frame_results(detector: Detector):
    """GIVEN eight different frames (bus, zidane, grey, flipped and cropped variants)
    WHEN detected in one request of 8 (one model execution, post-processed per image on the server)
    THEN each frame's detections equal what it gets alone."""
    bus, zidane = image("bus.jpg"), image("zidane.jpg")
    frames = [bus, zidane, np.full((720, 1280, 3), 114, np.uint8), bus[:, ::-1].copy(), zidane[::-1].copy(),
              bus[:540].copy(), zidane[:, 320:].copy(), bus]  # fmt: skip
    assert detector.model.max_batch_size == 8

    batched = detector.detect(frames, confidence=CONF, iou=IOU)
    alone = [detector.detect([frame], confidence=CONF, iou=IOU)[0] for frame in frames]

    assert sum(len(found) for found in alone) > 10
    for together, single in zip(batched, alone, strict=True):
        assert_same_detections(together, single)


def test_server_side_post_processing_answers_with_a_few_kilobytes(triton: EmbeddedTriton, detector: Detector):
    """GIVEN the default model (decode + NMS on the server)
    WHEN bus.jpg is sent
    THEN the response holds 5 detection rows of 6 floats (well under 1 KB), not the 700 KB raw output."""
    assert detector.model.server_side and detector.model.layout == "nms"
    pixels = letterbox(image("bus.jpg"), (320, 320))[0][None]

    (rows,) = detector.model.infer(pixels, confidence=CONF, iou=IOU)

    assert rows.shape == (5, 6) and rows.dtype == np.float32
    assert rows.nbytes < 1024


def test_class_filter_runs_on_the_server(detector: Detector):
    """GIVEN bus.jpg (4 persons and 1 bus)
    WHEN only "bus" is asked for, on the raw request and through the detector
    THEN the server returns just the bus row, and the detector just the bus."""
    pixels = letterbox(image("bus.jpg"), (320, 320))[0][None]

    (rows,) = detector.model.infer(pixels, confidence=CONF, iou=IOU, class_mask=detector.class_mask(["bus"]))
    (found,) = detector.detect([image("bus.jpg")], confidence=CONF, iou=IOU, classes=["bus", "no-such-class"])

    assert rows[:, 5].tolist() == [5.0]
    assert names(found) == ["bus"]


def merged_executions(triton: EmbeddedTriton) -> int:
    """Model executions so far that ran more than one frame."""
    client = httpclient.InferenceServerClient(triton.url)
    try:
        stats = client.get_inference_statistics("yolo")["model_stats"][0]
    finally:
        client.close()
    return sum(int(entry["compute_infer"]["count"]) for entry in stats["batch_stats"] if int(entry["batch_size"]) > 1)


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (np.zeros((1, 320, 320, 3), np.float32), "uint8"),
        (np.zeros((1, 640, 640, 3), np.uint8), r"\[N, 320, 320, 3\]"),
        (np.zeros((320, 320, 3), np.uint8), r"\[N, 320, 320, 3\]"),
    ],
)
def test_wrong_input_is_rejected_with_a_clear_error(triton: EmbeddedTriton, batch: np.ndarray, message: str):
    """GIVEN a batch of the wrong dtype or shape WHEN sent THEN a ValueError says what the model takes."""
    model = TritonModel.init(url=triton.url, model_name="yolo")
    try:
        with pytest.raises(ValueError, match=message):
            model.infer(batch)
    finally:
        model.close()


def test_server_side_rejection_raises_triton_inference_error(triton: EmbeddedTriton, detector: Detector):
    """GIVEN a client that believes the model takes 64x64 (a stale or wrong config)
    WHEN it sends a 64x64 batch
    THEN Triton rejects it, the client raises TritonInferenceError, and the server keeps serving."""
    model = TritonModel(
        connect=lambda: httpclient.InferenceServerClient(triton.url),
        model_name="yolo",
        input_name="images",
        output_name="output0",
        input_size=(64, 64),
        max_batch_size=8,
        class_names=[],
    )
    try:
        with pytest.raises(TritonInferenceError, match="yolo"):
            model.infer(np.zeros((1, 64, 64, 3), np.uint8))
    finally:
        model.close()

    (found,) = detector.detect([image("zidane.jpg")], confidence=CONF, iou=IOU)
    assert names(found) == ["person", "person"]


def test_detector_rejects_a_grey_image(detector: Detector):
    """GIVEN a single-channel frame WHEN detected THEN a ValueError asks for BGR."""
    with pytest.raises(ValueError, match="BGR"):
        detector.detect([np.zeros((720, 1280), np.uint8)], confidence=CONF, iou=IOU)


def test_metrics_endpoint_counts_inferences(triton: EmbeddedTriton, detector: Detector):
    """GIVEN a served request WHEN the Prometheus endpoint is read THEN it reports successful inferences."""
    detector.detect([image("zidane.jpg")], confidence=CONF, iou=IOU)

    with urllib.request.urlopen(triton.metrics_url, timeout=5) as response:
        text = response.read().decode()

    assert 'nv_inference_request_success{model="yolo",version="1"}' in text


def test_stale_shared_memory_is_removed_but_live_regions_are_kept(triton: EmbeddedTriton, tmp_path: Path):
    """GIVEN an old region no process maps, and the running server's own region made to look old
    WHEN stale regions are cleaned
    THEN the orphan is removed and the live region is kept."""
    maps = Path(f"/proc/{triton.pid}/maps").read_text()
    live = {Path(line.split()[-1]) for line in maps.splitlines() if "/dev/shm/triton_python_backend_" in line}
    assert live, "the running server should map a python-backend region"
    live_region = live.pop()
    orphan = tmp_path / "triton_python_backend_shm_region_orphan"
    orphan.write_bytes(b"x")
    old = time.time() - 3600
    for path in (orphan, live_region):
        os.utime(path, (old, old))

    clean_stale_shm(tmp_path)
    clean_stale_shm()

    assert not orphan.exists()
    assert live_region.exists()


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


def test_static_batch_model_is_served_with_max_batch_size_1(tmp_path: Path):
    """GIVEN an ONNX whose batch axis is fixed at 1
    WHEN the repository is prepared asking for max batch 8
    THEN the config says max_batch_size 1 without dynamic batching, and a warning is printed."""
    result = subprocess.run(
        [str(TRITON_VENV / "bin" / "python"), str(PREPARE_SCRIPT), "--onnx", str(asset("yolov8n_int8.onnx")),
         "--out", str(tmp_path), "--max-batch-size", "8", "--postprocess", "raw"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    config = (tmp_path / "yolo" / "config.pbtxt").read_text()
    assert "max_batch_size: 1\n" in config and "dynamic_batching" not in config
    assert "dims: [640, 640, 3]" in config and "dims: [84, 8400]" in config
    assert "static batch of 1" in result.stderr
    assert (tmp_path / "yolo" / "1" / "model.py").is_file() and (tmp_path / "yolo" / "1" / "yolo.py").is_file()


def test_start_failure_explains_itself(tmp_path: Path):
    """GIVEN a file that is not an ONNX model WHEN the embedded server starts THEN the error says why."""
    bogus = tmp_path / "bogus.onnx"
    bogus.write_text("not a model")
    server = EmbeddedTriton(venv=TRITON_VENV, onnx_path=bogus, work_dir=tmp_path / "work")

    with pytest.raises(RuntimeError, match="prepare_repository.py failed"):
        server.start(timeout=30)


@pytest.mark.slow
def test_yolov8n_640_finds_four_persons_and_a_bus(tmp_path: Path):
    """GIVEN the 640 yolov8n model in its own server
    WHEN bus.jpg is detected
    THEN 4 persons and 1 bus, the bus where the reference puts it."""
    server = start_triton(tmp_path, "yolov8n_dyn.onnx")
    try:
        detector = Detector.init(url=server.url, model_name="yolo")
        (found,) = detector.detect([image("bus.jpg")], confidence=CONF, iou=IOU)
        detector.close()
    finally:
        server.stop()

    assert names(found) == ["bus", "person", "person", "person", "person"]
    assert_matches_reference(boxes_of(found, "bus"), [BUS_REFERENCE], min_iou=0.9)
    assert_matches_reference(boxes_of(found, "person"), BUS_PERSONS_REFERENCE, min_iou=0.85)
