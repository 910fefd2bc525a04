"""The real `tritonserver` binary from the nvidia-pytriton wheel, serving one YOLO model on CPU.

The wheel is used only for its binary and python backend; the model runs ONNX Runtime inside the Triton venv
(numpy 1.x, which the backend stub needs). Launch recipe: DESIGN.md, "Triton on a CPU machine".
"""

import logging
import os
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from stack.processes import free_port, spawn, stop_process, wait_until
from stack.triton_shm import clean_stale_shm, mapped_regions
from yolo_triton.admin import TritonAdmin, TritonAdminError, TritonUnreachableError

logger = logging.getLogger(__name__)
PREPARE_SCRIPT = Path(__file__).resolve().parents[1] / "yolo_triton" / "served" / "prepare_repository.py"


class EmbeddedTriton:
    """One tritonserver process with a generated model repository under `work_dir`."""

    def __init__(
        self,
        *,
        venv: Path,
        onnx_path: Path,
        work_dir: Path,
        model_name: str = "yolo",
        max_batch_size: int = 8,
        queue_delay_us: int = 2000,
        instance_count: int = 1,
        ort_threads: int = 2,
        postprocess: str = "server",
        listen_host: str = "127.0.0.1",
        http_port: int = 0,
        metrics_port: int = 0,
    ) -> None:
        self.venv = Path(venv)
        self.onnx_path = Path(onnx_path)
        self.work_dir = Path(work_dir)
        self.model_name = model_name
        self.max_batch_size = max_batch_size
        self.queue_delay_us = queue_delay_us
        self.instance_count = instance_count
        self.ort_threads = ort_threads
        self.postprocess = postprocess  # "server": decode + NMS in the model; "raw": the ONNX output as is
        self.log_path = self.work_dir / "triton.log"
        self.listen_host = listen_host  # 0.0.0.0 serves workers on other hosts (the `triton` role)
        self._fixed_ports = {"http": http_port, "metrics": metrics_port}  # 0: a free port
        self._proc: subprocess.Popen | None = None
        self._launch_args: tuple[list[str], dict[str, str]] | None = None
        self._ports: dict[str, int] = {}
        self._ports_lock = threading.Lock()
        self._shm_regions: list[Path] = []

    @property
    def repository(self) -> Path:
        """The model repository the server reads (models imported into it are loaded on start)."""
        return self.work_dir / "repository"

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self._port('http')}"

    def exit_code(self) -> int | None:
        """None while it runs (or before it was started)."""
        return None if self._proc is None else self._proc.poll()

    def is_running(self) -> bool:
        """False once the server has exited on its own; call stop() then, to reap it and end its model stubs."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self._port('metrics')}/metrics"

    def start(self, timeout: float = 90) -> None:
        """Write the repository, launch the server and return once the model answers ready."""
        if self._proc is not None:
            raise RuntimeError("EmbeddedTriton is already started")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        server_dir = self._server_dir()
        repo = self._prepare_repository()
        version, libdir = self._interpreter_facts()
        backends = self._backend_dir(server_dir, version)
        self._launch_args = (self._command(server_dir, repo, backends), self._env(libdir))
        self.log_path.write_bytes(b"")  # the error tail must show this run only
        started = time.monotonic()
        self.launch()
        self._wait_ready(timeout)
        self._shm_regions = mapped_regions(self._proc.pid)
        logger.info("Triton ready at %s in %.2f s (model %s)", self.url, time.monotonic() - started, self.model_name)

    def launch(self) -> None:
        """Spawn the server as start() prepared it, without waiting: a supervisor's restart after a crash, on
        the same ports and repository."""
        if self._launch_args is None:
            raise RuntimeError("EmbeddedTriton.launch() needs a start() first")
        clean_stale_shm()  # what the crashed server left in /dev/shm
        cmd, env = self._launch_args
        self._proc = spawn(cmd, env=env, log_path=self.log_path, cwd=self.work_dir)

    def _wait_ready(self, timeout: float) -> None:
        try:
            wait_until(self._model_ready, timeout=timeout, interval=0.05, what=f"Triton model {self.model_name}")
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            tail = self._log_tail()
            raise RuntimeError(f"tritonserver did not get ready: {exc}\n--- {self.log_path} ---\n{tail}") from exc
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            # --exit-timeout-secs=3 bounds the server's own shutdown; the margin covers the model unload.
            stop_process(proc, timeout=15)
        # A clean exit removed these already; after a crash or a kill they would stay in /dev/shm for good.
        regions, self._shm_regions = self._shm_regions, []
        for region in regions:
            region.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _port(self, name: str) -> int:
        # Chosen on first use, so callers can hand the URL to others while the server is still starting.
        with self._ports_lock:
            if not self._ports:
                free = iter(_distinct_free_ports(3, taken=set(self._fixed_ports.values())))
                self._ports = {name: self._fixed_ports.get(name) or next(free) for name in ("http", "grpc", "metrics")}
            return self._ports[name]

    def _python(self) -> Path:
        return self.venv / "bin" / "python"

    def _server_dir(self) -> Path:
        found = sorted(self.venv.glob("lib/python3*/site-packages/pytriton/tritonserver"))
        if not found or not (found[0] / "bin" / "tritonserver").is_file():
            raise FileNotFoundError(f"No pytriton/tritonserver in {self.venv}: pip install nvidia-pytriton there")
        return found[0]

    def _prepare_repository(self) -> Path:
        repo = self.repository
        cmd = [
            str(self._python()), str(PREPARE_SCRIPT), "--onnx", str(self.onnx_path), "--out", str(repo),
            "--model-name", self.model_name, "--max-batch-size", str(self.max_batch_size),
            "--queue-delay-us", str(self.queue_delay_us), "--instance-count", str(self.instance_count),
            "--ort-threads", str(self.ort_threads), "--postprocess", self.postprocess,
        ]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"prepare_repository.py failed ({result.returncode}):\n{result.stderr.strip()}")
        return repo

    def _backend_dir(self, server_dir: Path, python_version: str) -> Path:
        """The wheel keeps the stub apart from the backend; the backend looks for it next to itself."""
        backends = self.work_dir / "backends"
        python_dir = backends / "python"
        python_dir.mkdir(parents=True, exist_ok=True)
        wheel_backend = server_dir / "backends" / "python"
        stubs = server_dir / "python_backend_stubs" / python_version
        links = {
            "libtriton_python.so": wheel_backend / "libtriton_python.so",
            "triton_python_backend_utils.py": wheel_backend / "triton_python_backend_utils.py",
            "triton_python_backend_stub": stubs / "triton_python_backend_stub",
        }
        for name, target in links.items():
            link = python_dir / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)
        return backends

    def _interpreter_facts(self) -> tuple[str, str]:
        """The Triton venv's python version (picks the stub build) and LIBDIR (where libpython lives)."""
        code = "import sys, sysconfig; print('%d.%d' % sys.version_info[:2]); print(sysconfig.get_config_var('LIBDIR'))"
        result = subprocess.run([str(self._python()), "-c", code], capture_output=True, text=True, check=True)
        version, libdir = result.stdout.split()
        return version, libdir

    def _env(self, libdir: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        # The stub runs the first `python3` on PATH, which must be the venv's (numpy 1.x, onnxruntime).
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        # The stub links libpython3.x, which lives in the base interpreter's LIBDIR, not in the venv.
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (libdir, env.get("LD_LIBRARY_PATH")) if p)
        return env

    def _command(self, server_dir: Path, repo: Path, backends: Path) -> list[str]:
        return [
            str(server_dir / "bin" / "tritonserver"),
            f"--model-repository={repo}",
            f"--backend-directory={backends}",
            f"--cache-directory={server_dir / 'caches'}",
            f"--http-address={self.listen_host}", f"--http-port={self._port('http')}",
            f"--grpc-address={self.listen_host}", f"--grpc-port={self._port('grpc')}",
            f"--metrics-address={self.listen_host}", f"--metrics-port={self._port('metrics')}",
            "--pinned-memory-pool-byte-size=0",
            "--allow-gpu-metrics=false",
            # Keep-alive clients otherwise hold SIGTERM up for 30 s.
            "--exit-timeout-secs=3",
            "--model-control-mode=explicit",
            # A broken imported model must not take the default one down; _model_ready reports the default's.
            "--exit-on-error=false",
            f"--load-model={self.model_name}",
            *(f"--load-model={name}" for name in self._imported_models(repo)),
        ]  # fmt: skip

    def _imported_models(self, repo: Path) -> list[str]:
        """Other models in the repository (imported by `manage.py import_model`): served again after a restart."""
        return sorted(
            p.parent.name for p in repo.glob("*/config.pbtxt")
            if p.parent.name != self.model_name and not p.parent.name.startswith(".")
        )  # fmt: skip

    def _model_ready(self) -> bool:
        if self._proc is None or self._proc.poll() is not None:
            code = None if self._proc is None else self._proc.returncode
            raise RuntimeError(f"tritonserver exited with code {code}")
        admin = TritonAdmin(self.url, timeout_s=1)
        try:
            if admin.model_ready(self.model_name):
                return True
            self._raise_if_unavailable(admin.index())
        except TritonUnreachableError:
            pass  # not listening yet
        except TritonAdminError as exc:
            logger.debug("Triton not ready yet: %s", exc)
        return False

    def _raise_if_unavailable(self, index: list[dict]) -> None:
        """Fail at once, with Triton's reason, when the default model failed to load (not still loading)."""
        for entry in index:
            failed = entry.get("state") == "UNAVAILABLE" and entry.get("reason", "") not in ("", "unloaded")
            if entry.get("name") == self.model_name and failed:
                raise RuntimeError(f"model {self.model_name} failed to load: {entry.get('reason', '')}")

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(no log: {exc})"


def _distinct_free_ports(count: int, taken: set[int]) -> list[int]:
    # A port is free again once its probe socket closes, so the kernel may hand the same one out twice.
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and port not in taken:
            ports.append(port)
    return ports


