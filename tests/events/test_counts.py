"""Counts over MQTT: storing a worker's counts (analytics.services.counts_record) writes a stream.counts message
to the outbox in the same transaction (through analytics.signals, so analytics/ never imports events/), and the
real Mosquitto keeps the stream's counts, each line's and each zone's, as retained topics."""

import json
from datetime import UTC, datetime

import pytest
from django.db import transaction

from analytics import services as analytics_services
from analytics.models import CountBucket, Line, Zone
from events import delivery_queue, endpoints
from events.models import Delivery, OutboxMessage
from events.mqtt import MqttLink
from stack.processes import free_port
from tests.events.live import MQTT_URL, MqttSubscriber, eventually

pytestmark = pytest.mark.django_db

SQUARE = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
MINUTE = int(datetime.now(UTC).timestamp() // 60 * 60)


@pytest.fixture
def counted(event_stream):
    line = Line.objects.create(stream=event_stream, name="gate", points=[[0.1, 0.5], [0.9, 0.5]])
    zone = Zone.objects.create(stream=event_stream, name="yard", points=SQUARE)
    deltas = {("line", line.pk, "car", "in", MINUTE): 3, ("line", line.pk, "truck", "in", MINUTE): 1,
              ("line", line.pk, "car", "out", MINUTE): 2, ("zone", zone.pk, "car", "enter", MINUTE): 4}  # fmt: skip
    return event_stream, line, zone, deltas


def _record(stream, deltas, zone) -> int:
    return analytics_services.counts_record(stream_id=stream.pk, deltas=deltas, collected_since=datetime.now(UTC),
                                            occupancy={zone.pk: {"car": 2}})  # fmt: skip


def test_stored_counts_write_the_stream_counts_to_the_outbox_in_the_same_transaction(counted):
    """GIVEN a stream with a line and a zone WHEN a worker's counts are stored THEN one stream.counts message holds
    every line's in/out and every zone's entries, exits and occupancy per class; WHEN storing rolls back THEN
    neither the counts nor a message remain."""
    stream, line, zone, deltas = counted
    assert _record(stream, deltas, zone) == 4
    message = OutboxMessage.objects.get(type="stream.counts")
    assert message.stream_id == stream.pk and message.payload["stream"] == {"id": stream.pk, "name": "lobby"}
    assert message.payload["lines"] == [{"id": line.pk, "name": "gate", "in": {"car": 3, "truck": 1},
                                         "out": {"car": 2}}]  # fmt: skip
    assert message.payload["zones"] == [{"id": zone.pk, "name": "yard", "occupancy": {"car": 2},
                                         "enter": {"car": 4}, "exit": {}}]  # fmt: skip
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(stream, deltas, zone)
        raise RuntimeError("the worker's transaction fails after storing")
    assert OutboxMessage.objects.filter(type="stream.counts").count() == 1
    assert CountBucket.objects.get(metric="in", class_name="car").count == 3


def test_nothing_counted_writes_no_message_and_webhooks_do_not_get_counts(counted):
    """GIVEN a webhook endpoint subscribed to the defaults WHEN counts are stored (and, separately, nothing was
    counted) THEN the counts message goes to MQTT only, and an empty flush writes no message."""
    stream, _, zone, deltas = counted
    endpoints.endpoint_create(is_admin=True, name="rx", url="http://127.0.0.1:9/h", allow_private=True)
    assert _record(stream, {}, zone) == 0 and not OutboxMessage.objects.exists()
    _record(stream, deltas, zone)
    delivery_queue.outbox_dispatch(mqtt_enabled=True)
    assert [d.target for d in Delivery.objects.all()] == [Delivery.Target.MQTT]


def test_the_real_broker_keeps_the_counts_retained_per_stream_line_and_zone(counted):
    """GIVEN the counts message WHEN it is published through the deliverer's MQTT link to the real Mosquitto
    THEN a subscriber that connects afterwards gets, retained, the stream's counts, the line's totals (4 in, 2 out)
    and the zone's (2 inside, 4 entered)."""
    stream, line, zone, deltas = counted
    _record(stream, deltas, zone)
    prefix = f"sv-test-{free_port()}"
    link = MqttLink.connect(MQTT_URL, prefix=prefix, timeout_s=5, client_id=f"sv-test-pub-{free_port()}")
    try:
        assert link.wait_connected(10), "no connection to the MQTT broker at 127.0.0.1:1883"
        result = link.send(OutboxMessage.objects.get(type="stream.counts"))
        assert result.ok, result.error
    finally:
        link.close()
    base = f"{prefix}/streams/{stream.pk}"
    topics = [f"{base}/counts", f"{base}/lines/{line.pk}", f"{base}/zones/{zone.pk}"]
    late = MqttSubscriber(topics).start()
    try:
        eventually(lambda: len({t for t, _, kept in late.received if kept}) == 3, timeout=10, what="3 retained")
        retained = {topic: json.loads(payload) for topic, payload, kept in late.received if kept}
    finally:
        late.stop()
        _clear(topics)
    assert retained[f"{base}/counts"]["lines"][0]["in"] == {"car": 3, "truck": 1}
    assert {k: retained[f"{base}/lines/{line.pk}"][k] for k in ("name", "in", "out")} == {"name": "gate", "in": 4,
                                                                                          "out": 2}  # fmt: skip
    assert {k: retained[f"{base}/zones/{zone.pk}"][k] for k in ("occupancy", "enter", "exit")} == {
        "occupancy": 2, "enter": 4, "exit": 0}  # fmt: skip


def _clear(topics: list[str]) -> None:
    """Leave the shared broker as it was: empty retained messages delete the test's topics."""
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"sv-test-clear-{free_port()}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    for topic in topics:
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
