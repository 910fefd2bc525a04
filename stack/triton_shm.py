"""Shared memory the python backend of an embedded tritonserver leaves in /dev/shm.

Its regions grow to the largest batch and never shrink, and a crashed or killed server leaves them behind for
good: the launcher removes them after a stop (the ones it saw mapped) and before a start (old ones no live
Triton process maps).
"""

import logging
import os
import time
from pathlib import Path

logger = logging.getLogger(__name__)
SHM_PREFIX = "triton_python_backend_"
_SHM_MIN_AGE_S = 300  # a younger region may belong to a server that is starting right now


def mapped_regions(pid: int) -> list[Path]:
    """The python-backend shared-memory files a process maps (its stubs map the same ones)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return []
    found = {line.split(None, 5)[-1] for line in maps.splitlines() if f"/dev/shm/{SHM_PREFIX}" in line}
    return sorted(Path(path.removesuffix(" (deleted)")) for path in found)


def clean_stale_shm(shm_dir: Path = Path("/dev/shm")) -> None:
    """Remove python-backend regions left by crashed servers: ours, old, and mapped by no live process."""
    try:
        candidates = [
            p for p in shm_dir.glob(f"{SHM_PREFIX}*")
            if p.stat().st_uid == os.getuid() and time.time() - p.stat().st_mtime > _SHM_MIN_AGE_S
        ]  # fmt: skip
    except OSError:
        return
    if not candidates:
        return
    mapped = _mapped_shm_paths()
    if mapped is None:
        return  # cannot tell who owns them: leave them
    for path in candidates:
        if str(path) not in mapped:
            logger.info("Removing stale Triton shared memory %s", path)
            path.unlink(missing_ok=True)


def _mapped_shm_paths() -> set[str] | None:
    """/dev/shm paths that live Triton processes map or hold open; None if one of them cannot be inspected."""
    paths: set[str] = set()
    for proc_dir in _triton_processes():
        try:
            for line in (proc_dir / "maps").read_text().splitlines():
                if "/dev/shm/" in line:
                    paths.add(line.split(None, 5)[-1].removesuffix(" (deleted)"))
            paths.update(_open_paths(proc_dir))
        except FileNotFoundError:
            continue  # exited while we looked
        except OSError:
            return None
    return paths


def _triton_processes() -> list[Path]:
    """Servers and backend stubs, by name: `comm` is readable even where `maps` of other processes is not."""
    found = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            name = (proc_dir / "comm").read_text().strip()
        except OSError:
            continue
        if name.startswith(("tritonserver", "triton_python")):
            found.append(proc_dir)
    return found


def _open_paths(proc_dir: Path) -> set[str]:
    paths = set()
    for fd in (proc_dir / "fd").iterdir():
        try:
            paths.add(os.readlink(fd))
        except FileNotFoundError:
            continue  # closed while we looked
    return paths
