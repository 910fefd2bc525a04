"""MQTT for the deliverer (paho-mqtt, broker from MQTT_URL): the topic tree, and one connection that reconnects
with a backoff by itself (1 s doubling to 30 s). Messages come from the outbox like webhooks, QoS 1, and a
publish counts as delivered when the broker acknowledged it.

Topics under MQTT_TOPIC_PREFIX (default `streamvision`), as docs/events.md lists them:
  <prefix>/available               "online" / "offline" (retained; "offline" is also the will of a lost deliverer)
  <prefix>/events                  every event change: {"type": "new"|"update"|"end", "before", "after"}
  <prefix>/streams/<id>/events     the same, for one stream
  <prefix>/streams/<id>/state      retained: the stream's current status; emptied when the stream is deleted
  <prefix>/streams/<id>/counts     retained: every line's and zone's counts (per class) and each zone's occupancy
  <prefix>/streams/<id>/lines/<line id>   retained: {"name", "in", "out", "by_class": {"in": {...}, "out": {...}}}
  <prefix>/streams/<id>/zones/<zone id>   retained: {"name", "occupancy", "enter", "exit", "by_class": {...}}
"""

import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho

from events.models import OutboxMessage
from events.sending import SendResult

logger = logging.getLogger(__name__)

Type = OutboxMessage.Type
MQTT_TYPES = frozenset({Type.EVENT_NEW, Type.EVENT_UPDATE, Type.EVENT_END, Type.STREAM_STATUS, Type.STREAM_DELETED,
                        Type.STREAM_COUNTS})  # fmt: skip


@dataclass(frozen=True)
class Publication:
    topic: str
    payload: bytes
    retain: bool


def publications(message: OutboxMessage, prefix: str) -> list[Publication]:
    """What one outbox message becomes on the broker."""
    stream_topic = f"{prefix}/streams/{message.stream_id}"
    if message.type.startswith("event."):
        change = message.type.removeprefix("event.")
        body = json.dumps({"type": change, **message.payload}, separators=(",", ":")).encode()
        return [Publication(f"{prefix}/events", body, False), Publication(f"{stream_topic}/events", body, False)]
    if message.type == Type.STREAM_STATUS:
        return [Publication(f"{stream_topic}/state", json.dumps(message.payload).encode(), True)]
    if message.type == Type.STREAM_COUNTS:
        return count_publications(message.payload, stream_topic)
    if message.type == Type.STREAM_DELETED:  # an empty retained message clears a topic
        return [Publication(f"{stream_topic}/state", b"", True), Publication(f"{stream_topic}/counts", b"", True)]
    return []


def count_publications(payload: dict, stream_topic: str) -> list[Publication]:
    """The stream's counts as one retained topic, and each line and zone as its own (totals over classes)."""
    found = [Publication(f"{stream_topic}/counts", _json(payload), True)]
    for line in payload.get("lines", []):
        body = {"name": line["name"], "in": sum(line["in"].values()), "out": sum(line["out"].values()),
                "by_class": {"in": line["in"], "out": line["out"]}, "at": payload["at"]}  # fmt: skip
        found.append(Publication(f"{stream_topic}/lines/{line['id']}", _json(body), True))
    for zone in payload.get("zones", []):
        body = {"name": zone["name"], "occupancy": sum(zone["occupancy"].values()),
                "enter": sum(zone["enter"].values()), "exit": sum(zone["exit"].values()), "at": payload["at"],
                "by_class": {"occupancy": zone["occupancy"], "enter": zone["enter"], "exit": zone["exit"]}}  # fmt: skip
        found.append(Publication(f"{stream_topic}/zones/{zone['id']}", _json(body), True))
    return found


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class MqttLink:
    def __init__(self, client: paho.Client, *, prefix: str, timeout_s: float) -> None:
        self._client = client
        self.prefix = prefix
        self._timeout_s = timeout_s

    @classmethod
    def connect(cls, url: str, *, prefix: str, timeout_s: float, client_id: str) -> "MqttLink":
        """Start connecting in the background (paho's loop thread); publishing waits for the connection."""
        parts = urlsplit(url)
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id)
        if parts.username:
            client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
        if parts.scheme == "mqtts":
            client.tls_set()
        available = f"{prefix}/available"
        client.will_set(available, "offline", qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = lambda c, *_: c.publish(available, "online", qos=1, retain=True)
        client.on_disconnect = lambda c, _u, _f, reason, *_: logger.warning("MQTT disconnected: %s", reason)
        client.connect_async(parts.hostname or "127.0.0.1", parts.port or (8883 if parts.scheme == "mqtts" else 1883))
        client.loop_start()
        return cls(client, prefix=prefix, timeout_s=timeout_s)

    def wait_connected(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not self._client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self._client.is_connected()

    def send(self, message: OutboxMessage) -> SendResult:
        started = time.perf_counter()
        for publication in publications(message, self.prefix):
            error = self._publish(publication)
            if error:
                return SendResult(ok=False, latency_ms=_since(started), error=error)
        return SendResult(ok=True, latency_ms=_since(started))

    def _publish(self, publication: Publication) -> str:
        """"" once the broker acknowledged it; else why not."""
        if not self._client.is_connected():
            return "MQTT broker not connected (reconnecting)"
        info = self._client.publish(publication.topic, publication.payload, qos=1, retain=publication.retain)
        try:
            info.wait_for_publish(timeout=self._timeout_s)
        except (RuntimeError, ValueError) as error:
            return f"MQTT publish failed: {error}"
        return "" if info.is_published() else f"MQTT broker did not acknowledge within {self._timeout_s:g} s"

    def close(self) -> None:
        if self._client.is_connected():
            self._client.publish(f"{self.prefix}/available", "offline", qos=1, retain=True).wait_for_publish(2)
        self._client.disconnect()
        self._client.loop_stop()


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
