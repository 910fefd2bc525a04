"""What a benchmark report says of the machine it ran on: CPU, cores, memory, Python, GPU, load at the start."""

import os
import platform
import subprocess
from pathlib import Path


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))  # fmt: skip
    return {
        "cpu": model, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(), "gpu": _gpu(), "loadavg_start": os.getloadavg(),
    }  # fmt: skip


def _gpu() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
