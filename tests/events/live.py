"""Helpers of the events tests that run real processes: the deliverer (`manage.py deliver`), a camera that shows
people on and off (a generated clip served by the real RTSP server), an MQTT subscriber on the real Mosquitto,
and the live stack's API."""

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import paho.mqtt.client as paho

from stack.processes import free_port, spawn, stop_process, wait_until
from testbed.live_stack import LiveStack

ROOT = Path(__file__).resolve().parents[2]
RTSP_SCRIPT = ROOT / "testbed" / "rtsp_server.py"
MQTT_URL = "mqtt://127.0.0.1:1883"  # the Mosquitto this machine and CI run


def deliverer_env(stack: LiveStack, **overrides: str) -> dict[str, str]:
    """The live stack's environment, with retries fast enough for a test and MQTT on a topic prefix of its own."""
    return {
        **stack.env, "WEBHOOK_RETRY_BASE_S": "0.2", "WEBHOOK_RETRY_MAX_S": "2", "WEBHOOK_TIMEOUT_S": "3",
        "DELIVERY_LEASE_S": "5", "EVENTS_HOUSEKEEPING_S": "1", "MQTT_URL": MQTT_URL,
        "MQTT_TOPIC_PREFIX": f"sv-test-{free_port()}", **overrides,
    }


@dataclass
class DelivererProcess:
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self) -> "DelivererProcess":
        from stack.commands import deliver_command

        command = deliver_command(name=f"deliver-test-{time.time():.0f}")
        self.proc = spawn(command, env=self.env, cwd=ROOT, log_path=self.log_path)
        return self

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=10)


def eventually(probe: Callable[[], object], *, timeout: float, what: str, interval: float = 0.1):  # noqa: ANN201
    """The first truthy value `probe` returns within `timeout` seconds."""
    found: list[object] = []
    wait_until(lambda: bool(found.append(probe()) or found[-1]), timeout=timeout, interval=interval, what=what)
    return found[-1]


def make_stream(stack: LiveStack, name: str, source: str, *, max_fps: float | None = None) -> int:
    response = stack.api("POST", "/api/streams/", {"name": name, "source": source, "start": False, "max_fps": max_fps})
    assert response.status == 201, response.body
    return response.body["id"]


def make_rule(stack: LiveStack, stream_id: int, **fields: object) -> dict:
    response = stack.api("POST", "/api/event-rules/", {"stream": stream_id, "name": "rule", **fields})
    assert response.status == 201, response.body
    return response.body


def make_endpoint(stack: LiveStack, name: str, url: str, **fields: object) -> dict:
    response = stack.api("POST", "/api/webhooks/", {"name": name, "url": url, "allow_private": True, **fields})
    assert response.status == 201, response.body
    return response.body


def dead_camera() -> str:
    """An RTSP URL where nothing listens: the stream fails at once (it goes down)."""
    return f"rtsp://127.0.0.1:{free_port()}/live"


def people_on_and_off(path: Path, *, seconds: int = 300, fps: int = 10, period_s: int = 3) -> Path:
    """A clip of two people (zidane.jpg) for `period_s`, an empty grey frame for `period_s`, and so on."""
    people = cv2.resize(cv2.imread(str(Path(os.environ["ASSETS_DIR"]) / "zidane.jpg")), (640, 360))
    empty = np.full_like(people, 128)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 360))
    for index in range(seconds * fps):
        writer.write(people if (index // (period_s * fps)) % 2 == 0 else empty)
    writer.release()
    return path


@dataclass
class RtspCamera:
    """The real RTSP server (GStreamer) playing a file as a live camera."""

    clip: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/live"

    def start(self) -> "RtspCamera":
        command = ["/usr/bin/python3", str(RTSP_SCRIPT), "--port", str(self.port), "--file", str(self.clip),
                   "--width", "640", "--height", "360", "--fps", "10"]  # fmt: skip
        self.proc = spawn(command, env=dict(os.environ), cwd=ROOT, log_path=self.log_path)
        wait_until(lambda: "READY" in self.log_path.read_text(), timeout=15, what="the RTSP camera")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=5)


@dataclass
class MqttSubscriber:
    """A real MQTT client on the broker, keeping (topic, payload, retained) of what it receives."""

    topics: list[str]
    received: list[tuple[str, bytes, bool]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _client: paho.Client | None = None

    def start(self) -> "MqttSubscriber":
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"sv-test-sub-{free_port()}")
        subscribed = threading.Event()
        client.on_connect = lambda c, *_: c.subscribe([(topic, 1) for topic in self.topics])
        client.on_subscribe = lambda *_: subscribed.set()
        client.on_message = lambda _c, _u, message: self._keep(message)
        client.connect("127.0.0.1", 1883)
        client.loop_start()
        assert subscribed.wait(10), "could not subscribe on the MQTT broker"
        self._client = client
        return self

    def _keep(self, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.received.append((message.topic, message.payload, bool(message.retain)))

    def json_on(self, topic: str) -> list[dict]:
        with self._lock:
            return [json.loads(payload) for name, payload, _ in self.received if name == topic and payload]

    def stop(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
