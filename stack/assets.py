"""Model weights and sample videos: found in ASSETS_DIR, else downloaded from ASSETS_URL with a sha256 check,
else a message that says exactly what is missing and how to get it."""

import hashlib
import logging
import shutil
import tempfile
import urllib.request
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

# name -> sha256 (from shared/assets/MANIFEST.md)
CATALOG: dict[str, str] = {
    "yolov8n_dyn.onnx": "47034d18e1cd00cd2caee4708607131a2ac3ebc450424185c2e372d13f23b7e1",
    "yolo11n_320_dyn.onnx": "be25c78b7b262e26ea21fb6473cc7819e952cc44837b568359d08148f9727324",
    "yolov8n_int8.onnx": "83de8f0d2cd521e00ae2b138c340a03dece35b060b3898509bdc69afff417312",
    "yolo11n_int8_320.onnx": "5ea9b19c6c4d89041175fd2d4f9d2e1581d16f37b817021d547278fc5e2f2b58",
    "traffic_highway.mp4": "358dada197c1debf7b3b306ef2ba9a748808c41811c0e9ac372612ed91b217ae",
    "city_traffic_1080p_vp9.mp4": "3ce07e8ac8f5019f2c8637a77793d978b6ee58bbfce9087ebacd80f494d41f11",
    "one-by-one-person-detection.mp4": "a5964aa259099a482a8b360ffc2c57b5a30f84d5919236a4dad01f8e929ac07c",
    "bus.jpg": "c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63",
    "zidane.jpg": "16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb",
}
# The first run's demo (dashboard/demo.py): what each capability shows on. Not the 1080p VP9 city clip: decoding
# all its frames alone takes 0.2 of a core, and it shows nothing the highway does not (bench/idle_cpu.py).
DEMO_VIDEOS = ("traffic_highway.mp4", "one-by-one-person-detection.mp4")
TEST_ASSETS = ("yolo11n_320_dyn.onnx", "traffic_highway.mp4", "bus.jpg", "zidane.jpg")


class AssetsMissing(RuntimeError):  # noqa: N818 - reads as the condition it reports
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_assets(names: Iterable[str], *, assets_dir: Path, assets_url: str = "") -> list[Path]:
    """Paths of the named assets, downloading missing ones when `assets_url` is set."""
    names = list(names)
    missing = [name for name in names if not (assets_dir / name).is_file()]
    if missing and assets_url:
        assets_dir.mkdir(parents=True, exist_ok=True)
        for name in missing:
            download_asset(name, assets_url=assets_url, assets_dir=assets_dir)
        missing = []
    if missing:
        raise AssetsMissing(missing_message(missing, assets_dir))
    return [assets_dir / name for name in names]


def download_asset(name: str, *, assets_url: str, assets_dir: Path) -> Path:
    url = f"{assets_url.rstrip('/')}/{name}"
    target = assets_dir / name
    logger.info("Downloading %s", url)
    with tempfile.NamedTemporaryFile(dir=assets_dir, delete=False, suffix=".part") as tmp:
        tmp_path = Path(tmp.name)
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - the operator's own URL
                shutil.copyfileobj(response, tmp)
        except OSError as error:
            tmp_path.unlink(missing_ok=True)
            raise AssetsMissing(f"Could not download {url}: {error}") from None
    expected = CATALOG.get(name)
    if expected and sha256_of(tmp_path) != expected:
        tmp_path.unlink(missing_ok=True)
        raise AssetsMissing(f"Checksum mismatch for {url}: expected sha256 {expected}. Nothing was saved.")
    tmp_path.rename(target)
    return target


def missing_message(missing: list[str], assets_dir: Path) -> str:
    lines = [f"Missing asset file(s) in {assets_dir}:"]
    lines += [f"  - {name}" for name in missing]
    lines += [
        "",
        "Fix one of these ways:",
        f"  * copy the files into {assets_dir} (or point ASSETS_DIR at a folder that has them);",
        "  * set ASSETS_URL to a base URL serving them (each file is checked against its sha256);",
    ]
    if any(name.endswith(".onnx") for name in missing):
        lines += [
            "  * export a YOLO model yourself with Ultralytics and set YOLO_MODEL to its file name:",
            "      pip install ultralytics",
            "      yolo export model=yolo11n.pt format=onnx imgsz=320 dynamic=True   # writes yolo11n.onnx",
            f"      cp yolo11n.onnx {assets_dir}/ && export YOLO_MODEL=yolo11n.onnx",
        ]
    return "\n".join(lines)
