"""Pool processes die with their worker (workers/hosting/parent_death.py), with or without the launcher."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# prctl(PR_GET_PDEATHSIG) writes the signal this process gets when its parent dies.
_READ_SIGNAL = """
import ctypes, signal
from workers.hosting.parent_death import set_parent_death_signal
set_parent_death_signal(signal.SIGTERM)
value = ctypes.c_int()
ctypes.CDLL("libc.so.6").prctl(2, ctypes.byref(value), 0, 0, 0)
print(value.value)
"""


def test_the_kernel_is_asked_to_signal_the_process_when_its_parent_dies():
    """GIVEN a fresh process WHEN it sets its parent-death signal to SIGTERM THEN the kernel reports SIGTERM as
    that process's parent-death signal."""
    result = subprocess.run([sys.executable, "-c", _READ_SIGNAL], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "15"


def test_no_worker_module_imports_the_launcher():
    """GIVEN the workers package WHEN its imports are read THEN none names `stack`: a worker runs the same in
    production, where there is no launcher."""
    offenders = []
    for path in sorted((ROOT / "workers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name == "stack" or name.startswith("stack.")]
    assert offenders == []
