"""Triton's HTTP admin endpoints: readiness, server metadata, repository index, model config, explicit
load/unload and statistics. The catalog, the system page and the launcher use this; workers infer through
workers/inference/client.py.

It wraps tritonclient.http (NVIDIA's client, kept in step with the server's protocol) under two rules measured
on this project (docs/architecture.md, "Embedded Triton"):
- one client per call, made and closed in the calling thread: a tritonclient.http client runs on gevent, and
  two threads sharing one hang without a timeout;
- tritonclient is imported on the first call, never at import: a process that used it and then forks hands
  the child a gevent hub whose calls hang, so the Celery prefork parent (which imports the catalog through
  Django's admin autodiscovery) must never load it.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")


class TritonAdminError(RuntimeError):
    """Triton refused the request (the message is Triton's)."""


class TritonUnreachableError(TritonAdminError):
    """Nothing answered at the URL (refused, timed out, unknown host)."""


def host_port(url: str) -> str:
    """`host:port` from a Triton URL given with or without a scheme (TRITON_URL accepts both)."""
    return (url or "").strip().split("://", 1)[-1].rstrip("/")


class TritonAdmin:
    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self.url = host_port(url)
        self._timeout_s = timeout_s

    def ready(self) -> bool:
        """The server is up and ready for inference (False: up but not ready)."""
        return self._call(lambda client: client.is_server_ready())

    def model_ready(self, name: str) -> bool:
        return self._call(lambda client: client.is_model_ready(name))

    def metadata(self) -> dict[str, Any]:
        """Server name, version and extensions."""
        return self._call(lambda client: client.get_server_metadata())

    def index(self) -> list[dict[str, Any]]:
        """Every model in the repository: name, version, state (READY, UNAVAILABLE, ...) and reason."""
        return self._call(lambda client: client.get_model_repository_index())

    def config(self, name: str) -> dict[str, Any]:
        """The served config of model `name` (HTTP JSON form; read it with yolo_triton.contract)."""
        return self._call(lambda client: client.get_model_config(name))

    def load(self, name: str) -> None:
        """Load (or reload) a model with explicit model control; raises with Triton's reason on failure."""
        self._call(lambda client: client.load_model(name))

    def unload(self, name: str) -> None:
        self._call(lambda client: client.unload_model(name))

    def statistics(self, name: str = "") -> list[dict[str, Any]]:
        """Per-model inference statistics (all models when `name` is empty): counts, queue and compute times."""
        return self._call(lambda client: client.get_inference_statistics(name)).get("model_stats", [])

    def _call(self, request: Callable[[Any], T]) -> T:
        import tritonclient.http as httpclient
        from tritonclient.utils import InferenceServerException

        try:
            client = httpclient.InferenceServerClient(
                self.url, connection_timeout=self._timeout_s, network_timeout=self._timeout_s
            )
            try:
                return request(client)
            finally:
                client.close()
        except InferenceServerException as exc:
            raise TritonAdminError(exc.message() or str(exc)) from exc
        except OSError as exc:  # refused, reset, timed out, unknown host: all socket errors
            raise TritonUnreachableError(f"Triton at {self.url} is unreachable: {exc}") from exc
