"""Detection through the real embedded tritonserver (python backend + ONNX Runtime on CPU), no Django."""

import os
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as httpclient

from stack.triton_server import EmbeddedTriton
from stack.triton_shm import clean_stale_shm
from testbed.detection import (
    BUS_PERSONS_REFERENCE,
    BUS_REFERENCE,
    CONF,
    IOU,
    ZIDANE_PERSONS_REFERENCE,
    assert_matches_reference,
    assert_same_detections,
    boxes_of,
    detector_fixture,
    image,
    names,
    start_triton,
)
from workers.inference.client import TritonInferenceError, TritonModel
from workers.inference.detector import Detector
from yolo_triton.contract import ModelSpec
from yolo_triton.prepost import letterbox


@pytest.fixture(scope="module")
def triton(embedded_triton: EmbeddedTriton) -> EmbeddedTriton:
    """The session's Triton (tests/conftest.py): these tests only send it frames."""
    return embedded_triton


detector = detector_fixture()


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
    """GIVEN zidane.jpg and its mirror image (one camera's frames share a size)
    WHEN detected together in one call and each on its own
    THEN the detections are the same, in input order."""
    zidane = image("zidane.jpg")
    mirror = np.ascontiguousarray(zidane[:, ::-1])

    batched = detector.detect([zidane, mirror], confidence=CONF, iou=IOU)
    separate = detector.detect([zidane], confidence=CONF, iou=IOU) + detector.detect([mirror], confidence=CONF, iou=IOU)

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
    WHEN detected in one call (one request per input size: the 16:9 frames go through the 192×320 input, the
    others through 320×320; post-processed per image on the server)
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
    stale = ModelSpec(input_name="images", output_name="output0", input_size=(64, 64), max_batch_size=8,
                      class_names=(), layout="yolov8")  # fmt: skip
    model = TritonModel(connect=lambda: httpclient.InferenceServerClient(triton.url), model_name="yolo", spec=stale)
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
