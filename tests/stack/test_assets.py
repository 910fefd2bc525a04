import hashlib
from pathlib import Path

import pytest

from stack import assets
from stack.assets import AssetsMissing, ensure_assets


def test_present_assets_are_used_as_they_are(tmp_path: Path):
    """GIVEN the files in the assets dir WHEN ensured THEN their paths come back and nothing is fetched."""
    (tmp_path / "bus.jpg").write_bytes(b"x")
    assert ensure_assets(["bus.jpg"], assets_dir=tmp_path) == [tmp_path / "bus.jpg"]


def test_missing_assets_without_url_name_the_files_the_folder_and_the_export(tmp_path: Path):
    """GIVEN no files and no ASSETS_URL WHEN ensured THEN the error names each file, the folder, and how to
    export a YOLO ONNX with Ultralytics."""
    with pytest.raises(AssetsMissing) as error:
        ensure_assets(["yolo11n_320_dyn.onnx", "bus.jpg"], assets_dir=tmp_path)
    text = str(error.value)
    assert "yolo11n_320_dyn.onnx" in text and "bus.jpg" in text and str(tmp_path) in text
    assert "yolo export" in text and "ASSETS_URL" in text


def test_download_checks_the_sha256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """GIVEN a mirror (a file:// URL) with one good and one corrupted file WHEN ensured THEN the good one is
    saved, and the corrupted one is refused with nothing left behind."""
    mirror, target = tmp_path / "mirror", tmp_path / "assets"
    mirror.mkdir()
    (mirror / "good.bin").write_bytes(b"good bytes")
    (mirror / "bad.bin").write_bytes(b"tampered")
    monkeypatch.setitem(assets.CATALOG, "good.bin", hashlib.sha256(b"good bytes").hexdigest())
    monkeypatch.setitem(assets.CATALOG, "bad.bin", hashlib.sha256(b"original").hexdigest())

    assert ensure_assets(["good.bin"], assets_dir=target, assets_url=mirror.as_uri())[0].read_bytes() == b"good bytes"
    with pytest.raises(AssetsMissing, match="Checksum mismatch"):
        ensure_assets(["bad.bin"], assets_dir=target, assets_url=mirror.as_uri())
    assert sorted(p.name for p in target.iterdir()) == ["good.bin"]


def test_download_of_a_file_the_mirror_lacks_says_which(tmp_path: Path):
    """GIVEN a mirror without the file WHEN ensured THEN the error names the URL."""
    with pytest.raises(AssetsMissing, match="nothing.onnx"):
        ensure_assets(["nothing.onnx"], assets_dir=tmp_path / "a", assets_url=(tmp_path / "empty").as_uri())
