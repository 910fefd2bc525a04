"""The deliverer as a real process (`manage.py deliver`) with the live stack: a real receiver that fails, a kill -9
in the middle of a delivery, and the real Mosquitto."""

import json
import threading

import pytest

from tests.events.live import (
    DelivererProcess,
    MqttSubscriber,
    dead_camera,
    deliverer_env,
    eventually,
    make_endpoint,
    make_rule,
    make_stream,
)
from tests.events.receiver import Receiver, Reply

pytestmark = [pytest.mark.stack, pytest.mark.slow]


@pytest.fixture(scope="module")
def deliverer(live_stack, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("deliver") / "deliver.log"
    process = DelivererProcess(env=deliverer_env(live_stack), log_path=log_path)
    yield process.start()
    process.stop()


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def _log(live_stack, endpoint_id: int, msg_id: str) -> list[tuple]:
    attempts = live_stack.api("GET", f"/api/webhooks/{endpoint_id}/log/").body
    return sorted((a["number"], a["response_code"], a["outcome"]) for a in attempts if a["msg_id"] == msg_id)


def test_a_receiver_failing_three_times_gets_the_event_once_and_the_log_shows_every_attempt(
    live_stack, deliverer, receiver
):
    """GIVEN a "stream goes down" rule and a receiver answering 500 three times, then 200 WHEN the stream's camera
    is unreachable THEN the down event arrives: four requests with one webhook-id, each validly signed, kept once
    by the de-duplicating receiver, and the endpoint's log lists attempts 1-4 with their codes."""
    receiver.script = [Reply(500), Reply(500), Reply(500)]
    stream_id = make_stream(live_stack, "events-retry", dead_camera())
    make_rule(live_stack, stream_id, name="down", kind="stream_down")
    endpoint = make_endpoint(live_stack, "retry-rx", receiver.url, stream=stream_id)
    receiver.secret = endpoint["secret"]
    live_stack.api("POST", f"/api/streams/{stream_id}/start/")
    new = eventually(lambda: next((r for r in receiver.unique().values() if r.body["type"] == "event.new"), None),
                     timeout=60, what="the down event at the receiver")  # fmt: skip
    live_stack.api("POST", f"/api/streams/{stream_id}/stop/")
    tries = [r for r in receiver.requests if r.msg_id == new.msg_id]
    assert [r.answered for r in tries] == [500, 500, 500, 200]
    assert all(r.signature_ok for r in tries) and len({r.headers["webhook-id"] for r in tries}) == 1
    assert new.body["data"]["kind"] == "stream_down" and new.body["data"]["stream"]["id"] == stream_id
    assert [m for m in receiver.unique()].count(new.msg_id) == 1
    expected = [(1, 500, "retry"), (2, 500, "retry"), (3, 500, "retry"), (4, 200, "delivered")]
    assert eventually(lambda: _log(live_stack, endpoint["id"], new.msg_id) == expected, timeout=10, what="the log")


def test_kill_9_of_the_deliverer_mid_delivery_and_the_delivery_completes_after_the_restart(
    live_stack, deliverer, receiver
):
    """GIVEN a receiver that takes 3 s to answer WHEN the deliverer is killed with SIGKILL while the request is in
    flight and started again THEN the message is sent again with the same webhook-id once the claim's lease runs
    out, the receiver keeps it once, and the log shows the interrupted try and the delivered one."""
    arrived = threading.Event()
    receiver.script = [Reply(200, delay_s=3)]
    receiver.on_request = lambda request: arrived.set()
    endpoint = make_endpoint(live_stack, "kill-rx", receiver.url)
    receiver.secret = endpoint["secret"]
    msg_id = live_stack.api("POST", f"/api/webhooks/{endpoint['id']}/test/").body["msg_id"]
    assert arrived.wait(30), "the test event never reached the receiver"
    deliverer.kill9()
    deliverer.start()
    eventually(lambda: _log(live_stack, endpoint["id"], msg_id)[-1:] == [(2, 200, "delivered")], timeout=30,
               what="the delivery after the restart")  # fmt: skip
    tries = [r for r in receiver.requests if r.msg_id == msg_id]
    assert len(tries) == 2 and all(r.signature_ok for r in tries) and list(receiver.unique()) == [msg_id]
    assert [a[2] for a in _log(live_stack, endpoint["id"], msg_id)] == ["interrupted", "delivered"]


def test_a_real_mqtt_subscriber_gets_the_start_and_end_of_an_event_and_the_retained_stream_state(
    live_stack, deliverer
):
    """GIVEN a subscriber on the broker WHEN a stream with a down rule fails and is then stopped THEN the events
    topic carries the event's new and end (same id, before/after), and a subscriber that connects afterwards gets
    the stream's state, retained, saying "stopped"."""
    prefix = deliverer.env["MQTT_TOPIC_PREFIX"]
    subscriber = MqttSubscriber([f"{prefix}/#"]).start()
    try:
        stream_id = make_stream(live_stack, "events-mqtt", dead_camera())
        state_topic = f"{prefix}/streams/{stream_id}/state"
        make_rule(live_stack, stream_id, name="down", kind="stream_down")
        live_stack.api("POST", f"/api/streams/{stream_id}/start/")
        new = eventually(lambda: _changes(subscriber, prefix, "new"), timeout=60, what="event new on MQTT")[0]
        live_stack.api("POST", f"/api/streams/{stream_id}/stop/")
        end = eventually(lambda: _changes(subscriber, prefix, "end"), timeout=30, what="event end on MQTT")[0]
        eventually(lambda: "stopped" in [s["status"] for s in subscriber.json_on(state_topic)], timeout=30,
                   what="the stopped state on MQTT")  # fmt: skip
    finally:
        subscriber.stop()
    assert new["before"] is None and new["after"]["kind"] == "stream_down" and new["after"]["active"]
    assert end["after"]["id"] == new["after"]["id"] and end["before"]["active"] and not end["after"]["active"]
    late = MqttSubscriber([state_topic, f"{prefix}/available"]).start()
    try:
        eventually(lambda: len([1 for _, _, retained in late.received if retained]) >= 2, timeout=10,
                   what="both retained topics")  # fmt: skip
    finally:
        late.stop()
    retained = {topic: payload for topic, payload, kept in late.received if kept}
    assert json.loads(retained[state_topic])["status"] == "stopped" and retained[f"{prefix}/available"] == b"online"


def _changes(subscriber: MqttSubscriber, prefix: str, change: str) -> list[dict]:
    return [message for message in subscriber.json_on(f"{prefix}/events") if message["type"] == change]
