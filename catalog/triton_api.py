"""Triton's model-repository REST API over plain HTTP (urllib): the web tier must not load tritonclient's gevent.

Also reads a served config into the fields of a catalog record.
"""

import json
import logging
import urllib.error
import urllib.request
from typing import Any

logger = logging.getLogger(__name__)
SERVER_OUTPUTS = {"detections", "num_detections"}


class TritonApiError(RuntimeError):
    """Triton refused the request (the message is Triton's) or could not be reached."""


class TritonRepository:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        host = url.split("://", 1)[-1].rstrip("/")
        self._base = f"http://{host}"
        self._timeout = timeout_s

    def index(self) -> list[dict[str, Any]]:
        """Every model in the repository: name, version, state (READY, UNAVAILABLE, ...) and reason."""
        return self._call("POST", "/v2/repository/index", {})

    def config(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/v2/models/{name}/config")

    def load(self, name: str) -> None:
        """Load (or reload) a model with explicit model control; raises with Triton's reason on failure."""
        self._call("POST", f"/v2/repository/models/{name}/load", {})

    def unload(self, name: str) -> None:
        self._call("POST", f"/v2/repository/models/{name}/unload", {})

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self._base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise TritonApiError(_error_text(exc)) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TritonApiError(f"Triton at {self._base} is unreachable: {exc}") from exc
        return json.loads(raw) if raw else None


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        return json.loads(exc.read()).get("error", str(exc))
    except (ValueError, AttributeError):
        return str(exc)


def describe(config: dict[str, Any]) -> dict[str, Any]:
    """Record fields from a served config (HTTP JSON form)."""
    inputs, outputs = config.get("input", []), config.get("output", [])
    image = next((i for i in inputs if i.get("name") == "images"), inputs[0] if inputs else {})
    dims = [int(d) for d in image.get("dims", [])][-3:]
    height, width = (dims[0], dims[1]) if dims[-1:] == [3] else (dims[1], dims[2]) if len(dims) == 3 else (0, 0)
    names = _class_names(config)
    server_side = {o.get("name") for o in outputs} >= SERVER_OUTPUTS
    return {
        "input_height": height, "input_width": width, "class_names": names,
        "layout": "nms" if server_side else _raw_layout(config, outputs),
        "server_side_nms": server_side, "max_batch_size": int(config.get("max_batch_size", 0)),
    }  # fmt: skip


def _class_names(config: dict[str, Any]) -> list[str]:
    raw = config.get("parameters", {}).get("class_names", {}).get("string_value", "")
    try:
        return [str(name) for name in json.loads(raw)] if raw else []
    except (ValueError, TypeError):
        logger.warning("Unreadable class_names in the config of %s", config.get("name"))
        return []


def _raw_layout(config: dict[str, Any], outputs: list[dict]) -> str:
    declared = config.get("parameters", {}).get("layout", {}).get("string_value")
    if declared:
        return declared
    dims = [int(d) for d in outputs[0].get("dims", [])][-2:] if outputs else []
    if len(dims) == 2 and dims[1] == 6:
        return "nms"
    return "yolov8" if len(dims) == 2 and (dims[1] == -1 or dims[0] < dims[1]) else "yolov5"
