"""The deliverer: a long-lived process (`python manage.py deliver`) that sends the outbox to webhook endpoints
and MQTT, retrying until each message arrives, and keeps the events tidy (events.housekeeping).

One loop: fan out new messages, claim the due deliveries (events.delivery_queue) and send them on a small
thread pool, then wait for a wake-up (a writer's commit pushes to a Redis list; a finished send wakes the
loop so the next message of its lane goes at once) or a second at most. Any number of deliverers may run.
"""

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis
from django import db
from django.conf import settings

from events import delivery_queue
from events.delivery_queue import Claim
from events.housekeeping import Housekeeping
from events.models import Delivery
from events.mqtt import MqttLink
from events.outbox import WAKE_KEY
from events.retry import RetryPolicy
from events.sending import SendResult, webhook_send
from streams.control import redis_client

logger = logging.getLogger(__name__)


class Waker:
    """Wakes the loop: a commit somewhere (through Redis, read by a thread of its own) or a send finished here."""

    def __init__(self, client: redis.Redis | None) -> None:
        self._client = client
        self._event = threading.Event()

    def start(self) -> None:
        if self._client is not None:
            threading.Thread(target=self._listen, name="deliverer-wake", daemon=True).start()

    def poke(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        self._event.clear()

    def _listen(self) -> None:
        while True:
            try:
                if self._client.blpop([WAKE_KEY], timeout=5):
                    self._client.delete(WAKE_KEY)
                    self._event.set()
            except redis.RedisError as error:
                logger.warning("Deliverer: waiting for wake-ups failed (%s); polling meanwhile", error)
                threading.Event().wait(2.0)


@dataclass
class Deliverer:
    name: str
    policy: RetryPolicy
    waker: Waker
    pool: ThreadPoolExecutor
    concurrency: int
    lease_s: float
    timeout_s: float
    housekeeping: Housekeeping
    mqtt: MqttLink | None = None
    in_flight: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def init(cls, *, name: str = "") -> "Deliverer":
        name = name or f"deliver@{socket.gethostname()}:{os.getpid()}"
        mqtt = None
        if settings.MQTT_URL:
            mqtt = MqttLink.connect(settings.MQTT_URL, prefix=settings.MQTT_TOPIC_PREFIX,
                                    timeout_s=settings.MQTT_TIMEOUT_S, client_id=name.replace("@", "-"))  # fmt: skip
        return cls(
            name=name,
            policy=RetryPolicy(base_s=settings.WEBHOOK_RETRY_BASE_S, max_s=settings.WEBHOOK_RETRY_MAX_S,
                               give_up_after_s=settings.WEBHOOK_GIVE_UP_AFTER_S),  # fmt: skip
            waker=Waker(redis_client() if settings.REDIS_URL else None),
            pool=ThreadPoolExecutor(max_workers=settings.DELIVERY_CONCURRENCY, thread_name_prefix="deliver"),
            concurrency=settings.DELIVERY_CONCURRENCY,
            lease_s=settings.DELIVERY_LEASE_S,
            timeout_s=settings.WEBHOOK_TIMEOUT_S,
            housekeeping=Housekeeping.init(),
            mqtt=mqtt,
        )

    def run(self, stop: threading.Event) -> None:
        logger.info("Deliverer %s running (MQTT %s)", self.name, "on" if self.mqtt else "off")
        self.waker.start()
        while not stop.is_set():
            try:
                self.housekeeping.run_if_due()
                self.step()
            except db.Error as error:  # the database may be restarting: try again shortly
                logger.warning("Deliverer: database error: %s", error)
                db.close_old_connections()
            self.waker.wait(timeout=1.0)
        self.close()

    def step(self) -> int:
        """Fan out, then claim and send what is due; returns how many sends started."""
        delivery_queue.outbox_dispatch(mqtt_enabled=self.mqtt is not None)
        with self._lock:
            free = self.concurrency - len(self.in_flight)
        claims = delivery_queue.deliveries_claim(deliverer=self.name, limit=free, lease_s=self.lease_s)
        for claim in claims:
            with self._lock:
                self.in_flight.add(claim.delivery.pk)
            self.pool.submit(self._deliver, claim)
        return len(claims)

    def _deliver(self, claim: Claim) -> None:
        try:
            result = self._send(claim.delivery)
            delivery_queue.delivery_record(claim=claim, result=result, deliverer=self.name, policy=self.policy)
        except Exception:  # noqa: BLE001 - the lease expires and the delivery is tried again
            logger.exception("Deliverer: delivery %s failed unexpectedly", claim.delivery.pk)
        finally:
            with self._lock:
                self.in_flight.discard(claim.delivery.pk)
            db.close_old_connections()
            self.waker.poke()

    def _send(self, delivery: Delivery) -> SendResult:
        if delivery.target == Delivery.Target.MQTT:
            if self.mqtt is None:
                return SendResult(ok=False, latency_ms=0.0, error="MQTT is off on this deliverer (MQTT_URL unset)")
            return self.mqtt.send(delivery.message)
        return webhook_send(endpoint=delivery.endpoint, message=delivery.message, timeout_s=self.timeout_s)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)
        if self.mqtt is not None:
            self.mqtt.close()
        logger.info("Deliverer %s stopped", self.name)
