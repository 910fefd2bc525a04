"""The Detector against models that return raw outputs (a user's own Triton deployment) and the shared-memory
transport, on the real embedded tritonserver."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import tritonclient.http as httpclient

from stack.processes import wait_until
from stack.triton_server import EmbeddedTriton
from testbed.detection import CONF, IOU, assert_same_detections, image, names, start_triton, triton_fixture
from workers.inference.client import TritonInferenceError
from workers.inference.detector import Detector
from workers.inference.shm import SHM_DIR

ROOT = Path(__file__).resolve().parents[3]
FRAMES = ("bus.jpg", "zidane.jpg")


# A server of its own: these tests count every shared-memory region registered on it.
server_side = triton_fixture("triton-server-side", "yolo11n_320_dyn.onnx")
raw = triton_fixture("triton-raw", "yolo11n_320_dyn.onnx", postprocess="raw")


def detector_for(server: EmbeddedTriton, transport: str = "auto") -> Detector:
    return Detector.init(url=server.url, model_name="yolo", transport=transport)


def test_raw_output_model_gives_the_same_detections_as_server_side_post_processing(
    server_side: EmbeddedTriton, raw: EmbeddedTriton
):
    """GIVEN the same ONNX served raw ([N,84,A], decoded by the client) and with decode + NMS on the server
    WHEN bus.jpg and zidane.jpg are detected through each
    THEN the detections are the same."""
    on_server, on_client = detector_for(server_side), detector_for(raw)
    try:
        assert on_client.model.layout == "yolov8" and not on_client.model.server_side
        frames = [image(name) for name in FRAMES]
        for left, right in zip(on_server.detect(frames, confidence=CONF, iou=IOU),
                               on_client.detect(frames, confidence=CONF, iou=IOU), strict=True):  # fmt: skip
            assert len(left) > 0
            assert_same_detections(left, right)
        (only_bus,) = on_client.detect([frames[0]], confidence=CONF, iou=IOU, classes=["bus"])
        assert names(only_bus) == ["bus"]
    finally:
        on_server.close()
        on_client.close()


def test_shared_memory_is_used_with_a_local_server_and_matches_http(server_side: EmbeddedTriton):
    """GIVEN a server on this host
    WHEN one detector picks its transport automatically and another is forced to HTTP
    THEN the first sends its pixels through shared memory, the second over HTTP, with the same detections;
    and closing the first removes its region from /dev/shm and from the server."""
    auto, http = detector_for(server_side), detector_for(server_side, "http")
    try:
        frames = [image(name) for name in FRAMES]
        for left, right in zip(auto.detect(frames, confidence=CONF, iou=IOU),
                               http.detect(frames, confidence=CONF, iou=IOU), strict=True):  # fmt: skip
            assert_same_detections(left, right)
        assert auto.model.transport == "shm" and auto.model.shm_bytes > 0 and auto.model.http_bytes == 0
        assert http.model.transport == "http" and http.model.http_bytes > 0 and http.model.shm_bytes == 0
        region = our_regions(server_side)
        assert len(region) == 1 and (SHM_DIR / region[0]).exists()
    finally:
        auto.close()
        http.close()

    assert our_regions(server_side) == [] and not (SHM_DIR / region[0]).exists()


def test_regions_of_a_crashed_client_are_removed_by_the_next_one(server_side: EmbeddedTriton):
    """GIVEN a client process that registered a shared-memory region and was then killed with SIGKILL
    WHEN the next detector connects to the same server
    THEN the dead process's region is gone from /dev/shm and from the server's registrations."""
    script = (
        "import sys, cv2; from workers.inference.detector import Detector\n"
        f"d = Detector.init(url={server_side.url!r}, model_name='yolo', transport='shm')\n"
        "d.detect([cv2.imread(sys.argv[1])], confidence=0.25, iou=0.45)\n"
        "print('ready', flush=True); sys.stdin.read()\n"
    )
    image_path = str(Path(os.environ.get("ASSETS_DIR", ROOT / "assets")) / "bus.jpg")
    child = subprocess.Popen([sys.executable, "-c", script, image_path], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "ready"
        leftover = [name for name in our_regions(server_side) if f"_{child.pid}_" in name]
        assert len(leftover) == 1
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert (SHM_DIR / leftover[0]).exists()  # nothing ran at exit: the region stayed

    detector_for(server_side).close()

    assert leftover[0] not in our_regions(server_side)
    wait_until(lambda: not (SHM_DIR / leftover[0]).exists(), timeout=5, what="the stale region file to go")


def test_a_restarted_server_gets_the_region_registered_again(tmp_path: Path):
    """GIVEN a detector sending through shared memory to a server that is then restarted (same port)
    WHEN it detects again
    THEN at most the first request fails (the new server knows neither the connection nor the region),
    and the next one registers a fresh region and finds the persons."""
    server = start_triton(tmp_path, "yolo11n_320_dyn.onnx")
    detector = detector_for(server, "shm")
    try:
        detector.detect([image("zidane.jpg")], confidence=CONF, iou=IOU)
        server.stop()
        server.start(timeout=60)
        with contextlib.suppress(TritonInferenceError):
            detector.detect([image("zidane.jpg")], confidence=CONF, iou=IOU)

        (found,) = detector.detect([image("zidane.jpg")], confidence=CONF, iou=IOU)

        assert names(found) == ["person", "person"] and detector.model.transport == "shm"
        assert len(our_regions(server)) == 1
    finally:
        detector.close()
        server.stop()


def our_regions(server: EmbeddedTriton) -> list[str]:
    client = httpclient.InferenceServerClient(server.url)
    try:
        return sorted(r["name"] for r in client.get_system_shared_memory_status() if r["name"].startswith("sv_"))
    finally:
        client.close()
