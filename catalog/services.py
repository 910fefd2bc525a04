"""Writes to the model catalog: sync from Triton's repository index, and import a user's ONNX file.

An import validates everything before it touches the repository, builds the new entry in a staging folder,
swaps it in with renames, and loads it with explicit model control; if Triton cannot load it, the previous
entry (if any) comes back. A broken file changes nothing.
"""

import logging
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from catalog import onnx_tools
from catalog.models import InferenceModel
from catalog.onnx_tools import ImportRefusedError
from yolo_triton.admin import TritonAdmin, TritonAdminError
from yolo_triton.contract import config_class_names, parse_config

logger = logging.getLogger(__name__)
PREPARE_SCRIPT = Path(__file__).resolve().parents[1] / "yolo_triton" / "served" / "prepare_repository.py"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SyncResult:
    ready: list[str]
    unavailable: list[str]
    missing: list[str]


@dataclass(frozen=True)
class ImportResult:
    model: InferenceModel
    loaded: bool
    notes: list[str]


def models_sync(*, triton: TritonAdmin) -> SyncResult:
    """Make the records match Triton's repository index; records of models no longer there become missing."""
    ready, unavailable = [], []
    seen = set()
    for entry in triton.index():
        name = entry["name"]
        seen.add(name)
        if entry.get("state") == "READY":
            _record(name, describe(triton.config(name)), version=str(entry.get("version", "")))
            ready.append(name)
        else:
            reason = entry.get("reason") or "not loaded"
            InferenceModel.objects.update_or_create(
                name=name, defaults={"state": InferenceModel.State.UNAVAILABLE, "reason": reason[:2000],
                                     "synced_at": timezone.now()},
            )  # fmt: skip
            unavailable.append(name)
    gone = InferenceModel.objects.exclude(name__in=seen)
    missing = sorted(gone.values_list("name", flat=True))
    gone.update(state=InferenceModel.State.MISSING, reason="not in Triton's model repository")
    return SyncResult(sorted(ready), sorted(unavailable), missing)


def describe(config: dict) -> dict:
    """Record fields from a served config (HTTP JSON form), read by the contract the workers use. A config
    the workers could not use leaves layout and input size unknown, and says why in `reason`."""
    try:
        spec = parse_config(config)
    except ValueError as exc:
        return {"class_names": config_class_names(config), "max_batch_size": int(config.get("max_batch_size", 0)),
                "layout": None, "server_side_nms": None, "input_height": 0, "input_width": 0,
                "reason": f"not usable by the workers: {exc}"[:2000]}  # fmt: skip
    height, width = spec.input_size
    return {"input_height": height, "input_width": width, "class_names": list(spec.class_names),
            "layout": spec.layout, "server_side_nms": spec.server_side,
            "max_batch_size": spec.max_batch_size}  # fmt: skip


def _record(name: str, fields: dict, **extra: str) -> InferenceModel:
    defaults = {"state": InferenceModel.State.READY, "reason": "", "synced_at": timezone.now()} | fields | extra
    model, _ = InferenceModel.objects.update_or_create(name=name, defaults=defaults)
    return model


def model_import(
    *,
    onnx_path: Path,
    name: str,
    repository: Path,
    triton_python: Path,
    triton: TritonAdmin | None,
    protected: frozenset[str] = frozenset(),
    progress: Progress = lambda _: None,
) -> ImportResult:
    """Import `onnx_path` as Triton model `name`; raises ImportRefusedError (nothing changed) with the reason."""
    if not _NAME.match(name) or name in protected:
        allowed = f"letters, digits, _ . -; not {sorted(protected)}"
        raise ImportRefusedError(f"model name {name!r} is not allowed ({allowed})")
    progress("Checking the ONNX file")
    report = onnx_tools.inspect(onnx_path)
    notes: list[str] = []
    repository.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".import-{name}-", dir=repository))
    try:
        source = _batchable(onnx_path, report, staging, notes, progress)
        progress("Writing the model repository entry")
        _prepare(source, name, staging, triton_python)
        loaded = _swap_and_load(name, staging / name, repository, triton, progress)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if triton is None:
        notes.append("Triton is not configured here: the entry loads when the embedded server starts")
    progress("Recording the model")
    # Not loaded: what the file says is known; what Triton would serve (layout, batch size) is not.
    fields = describe(triton.config(name)) if loaded else {
        "input_height": report.height, "input_width": report.width, "class_names": report.class_names,
        "layout": None, "server_side_nms": None, "max_batch_size": None,
    }  # fmt: skip
    model = _record(name, fields, source_file=onnx_path.name)
    if not loaded:
        InferenceModel.objects.filter(pk=model.pk).update(state=InferenceModel.State.UNAVAILABLE, reason="not loaded")
        model.refresh_from_db()
    return ImportResult(model, loaded, notes)


def _batchable(source: Path, report: onnx_tools.OnnxReport, staging: Path, notes: list[str], progress: Progress):
    """The file to serve: a dynamic-batch copy when the graph allows it, else the original (batch 1)."""
    if report.static_batch is None:
        return source
    progress("Making the batch axis dynamic")
    target = staging / "dynamic.onnx"
    reason = onnx_tools.make_batch_dynamic(source, target)
    if reason is None:
        notes.append(f"batch axis made dynamic (was {report.static_batch})")
        return target
    if report.static_batch != 1:
        batch = report.static_batch
        raise ImportRefusedError(f"static batch {batch} and the batch axis cannot be made dynamic: {reason}")
    notes.append(f"served without batching (max_batch_size 1): {reason}")
    return source


def _prepare(source: Path, name: str, staging: Path, triton_python: Path) -> None:
    cmd = [str(triton_python), str(PREPARE_SCRIPT), "--onnx", str(source), "--out", str(staging),
           "--model-name", name, "--copy-onnx"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise ImportRefusedError(f"the repository entry could not be written: {result.stderr.strip()[-600:]}")


def _swap_and_load(
    name: str, entry: Path, repository: Path, triton: TritonAdmin | None, progress: Progress
) -> bool:
    """Move the new entry in (keeping the old one aside) and load it; put the old one back if that fails."""
    target = repository / name
    previous = repository / f".previous-{name}-{secrets.token_hex(4)}"
    if target.exists():
        target.rename(previous)
    entry.rename(target)
    if triton is None:
        shutil.rmtree(previous, ignore_errors=True)
        return False
    progress("Loading the model in Triton")
    try:
        triton.load(name)
    except TritonAdminError as exc:
        shutil.rmtree(target, ignore_errors=True)
        if previous.exists():
            previous.rename(target)
            _reload_quietly(triton, name)
        else:
            _unload_quietly(triton, name)
        raise ImportRefusedError(f"Triton could not load the model: {exc}") from exc
    shutil.rmtree(previous, ignore_errors=True)
    return True


def _unload_quietly(triton: TritonAdmin, name: str) -> None:
    try:
        triton.unload(name)
    except TritonAdminError as exc:
        logger.info("Unloading the failed %s: %s", name, exc)


def _reload_quietly(triton: TritonAdmin, name: str) -> None:
    try:
        triton.load(name)
    except TritonAdminError as exc:
        logger.warning("Could not reload the previous %s after a failed import: %s", name, exc)


def triton_from_settings() -> TritonAdmin | None:
    """The configured Triton (the launcher passes the embedded server's URL down), or None when there is none."""
    from django.conf import settings

    return TritonAdmin(settings.TRITON_URL, timeout_s=120) if settings.TRITON_URL else None


def model_import_from_settings(*, onnx_path: Path, name: str, progress: Progress = lambda _: None) -> ImportResult:
    from django.conf import settings

    return model_import(
        onnx_path=onnx_path, name=name, repository=Path(settings.TRITON_MODEL_REPOSITORY),
        triton_python=Path(settings.TRITON_PYTHON), triton=triton_from_settings(),
        protected=frozenset({settings.TRITON_MODEL_NAME}), progress=progress,
    )  # fmt: skip


def models_sync_from_settings() -> SyncResult | None:
    """Sync from the configured Triton, for start-up hooks: None (and a warning) when it cannot be reached."""
    triton = triton_from_settings()
    if triton is None:
        return None
    try:
        return models_sync(triton=triton)
    except TritonAdminError as exc:
        logger.warning("Model catalog not synced: %s", exc)
        return None
