"""The deliveries' queue (events/delivery_queue.py) against a real receiver: fan-out, claims, order, outcomes."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from events import delivery_queue, endpoints
from events.models import Delivery, DeliveryAttempt, OutboxMessage, WebhookEndpoint
from events.retry import RetryPolicy, parse_retry_after
from events.sending import webhook_send
from tests.events.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db
POLICY = RetryPolicy(base_s=1.0, max_s=60.0, give_up_after_s=3600.0, rng=random.Random(1))


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def endpoint(receiver, event_stream) -> WebhookEndpoint:
    endpoint, secret = endpoints.endpoint_create(is_admin=True, name="rx", url=receiver.url, allow_private=True)
    receiver.secret = secret
    return endpoint


def _claim(name="d1", limit=10):
    return delivery_queue.deliveries_claim(deliverer=name, limit=limit, lease_s=30)


def _send(claim, name="d1"):
    result = webhook_send(endpoint=claim.delivery.endpoint, message=claim.delivery.message, timeout_s=5)
    return delivery_queue.delivery_record(claim=claim, result=result, deliverer=name, policy=POLICY)


def test_one_lane_goes_out_in_message_order_one_at_a_time(endpoint, make_event, receiver):
    """GIVEN three messages of one stream for one endpoint WHEN deliverers claim THEN only the oldest is due; each
    delivered one lets the next go; the receiver sees them in outbox order with valid signatures."""
    event = make_event()
    from events import occurrences

    occurrences.event_end(event_id=event.pk, reason="left")
    make_event(tracker_id=9)
    assert delivery_queue.outbox_dispatch(mqtt_enabled=False) == 3
    order = []
    for _ in range(3):
        claims = _claim()
        assert len(claims) == 1 and _claim("d2") == []
        order.append(claims[0].delivery.message.msg_id)
        assert _send(claims[0]) == DeliveryAttempt.Outcome.DELIVERED
    assert order == list(OutboxMessage.objects.order_by("pk").values_list("msg_id", flat=True))
    assert [r.msg_id for r in receiver.requests] == order and all(r.signature_ok for r in receiver.requests)
    assert receiver.requests[0].body["type"] == "event.new" and receiver.requests[0].body["data"]["id"] == str(event.pk)


def test_a_claim_is_exclusive_until_its_lease_runs_out(endpoint, make_event):
    """GIVEN a delivery claimed by a deliverer that then died WHEN another claims before and after the lease ends
    THEN it gets nothing before, the delivery after, and the dead one's try shows as interrupted."""
    make_event()
    delivery_queue.outbox_dispatch(mqtt_enabled=False)
    first = _claim("dead")
    assert len(first) == 1 and _claim("other") == []
    Delivery.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    second = _claim("other")
    assert [c.delivery.pk for c in second] == [first[0].delivery.pk] and second[0].attempt.number == 2
    outcomes = list(DeliveryAttempt.objects.order_by("number").values_list("outcome", flat=True))
    assert outcomes == [DeliveryAttempt.Outcome.INTERRUPTED, DeliveryAttempt.Outcome.SENDING]


def test_failures_retry_later_429_honours_retry_after_and_410_disables_the_endpoint(endpoint, make_event, receiver):
    """GIVEN a receiver answering 500, then 429 with Retry-After: 7, then 410 WHEN the delivery is tried THEN it is
    retried after a backoff, then after 7 s, then the endpoint is disabled and nothing more is claimed."""
    receiver.script = [Reply(500), Reply(429, headers={"Retry-After": "7"}), Reply(410)]
    make_event()
    delivery_queue.outbox_dispatch(mqtt_enabled=False)
    outcomes, waits = [], []
    for _ in range(3):
        claim = _claim()[0]
        outcomes.append(_send(claim))
        delivery = Delivery.objects.get(pk=claim.delivery.pk)
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        Delivery.objects.update(next_attempt_at=timezone.now())
    assert outcomes == ["retry", "retry", "disabled"]
    assert 0.4 < waits[0] <= 1.0 and 6.0 < waits[1] <= 7.0
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert _claim() == [] and Delivery.objects.get().status == Delivery.Status.PENDING
    codes = list(DeliveryAttempt.objects.order_by("number").values_list("number", "response_code"))
    assert codes == [(1, 500), (2, 429), (3, 410)]


def test_a_refused_target_is_an_attempt_that_fails_with_the_reason(endpoint, make_event):
    """GIVEN an endpoint on 127.0.0.1 whose private permission was taken away WHEN delivered THEN the attempt fails
    saying why, and nothing is sent."""
    WebhookEndpoint.objects.update(allow_private=False)
    make_event()
    delivery_queue.outbox_dispatch(mqtt_enabled=False)
    claim = _claim()[0]
    claim.delivery.endpoint.refresh_from_db()
    assert _send(claim) == "retry"
    assert "private" in DeliveryAttempt.objects.get().error


def test_giving_up_after_the_limit_marks_the_delivery_failed_and_frees_its_lane(endpoint, make_event, receiver):
    """GIVEN a delivery older than the give-up limit that fails again WHEN recorded THEN it is failed and the next
    message of its lane becomes due."""
    receiver.script = [Reply(503)]
    make_event(), make_event(tracker_id=3)
    delivery_queue.outbox_dispatch(mqtt_enabled=False)
    Delivery.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert _send(_claim()[0]) == "gave_up"
    assert Delivery.objects.filter(status=Delivery.Status.FAILED).count() == 1 and len(_claim()) == 1


def test_test_messages_go_to_their_endpoint_only_and_mqtt_gets_its_own_lane(endpoint, receiver, event_stream):
    """GIVEN two endpoints and MQTT on WHEN a test event is sent to one THEN one delivery, to that endpoint; a
    stream status message goes to MQTT (no endpoint subscribed to it) and is claimable."""
    endpoints.endpoint_create(is_admin=True, name="other", url="http://127.0.0.1:9/x", allow_private=True)
    endpoints.endpoint_send_test(endpoint=endpoint)
    from events import outbox

    outbox.outbox_stream_status(stream=event_stream, previous="stopped")
    delivery_queue.outbox_dispatch(mqtt_enabled=True)
    targets = sorted((d.target, d.endpoint_id, d.message.type) for d in Delivery.objects.select_related("message"))
    assert targets == [("mqtt", None, "stream.status"), ("webhook", endpoint.pk, "webhook.test")]
    assert len(_claim()) == 2


def test_backoff_grows_with_jitter_up_to_its_cap_and_retry_after_reads_both_forms():
    """GIVEN the policy WHEN delays are drawn THEN each lies in [c/2, c] for c = min(cap, base·2^(n-1))."""
    policy = RetryPolicy(base_s=1.0, max_s=8.0, give_up_after_s=60, rng=random.Random(3))
    for attempts, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        assert ceiling / 2 <= policy.delay_s(attempts) <= ceiling
    assert policy.delay_s(5, retry_after_s=120) == 120
    now = timezone.now()
    assert parse_retry_after("30", now=now) == 30
    date = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 88 <= parse_retry_after(date, now=now) <= 90
    assert parse_retry_after("soon", now=now) is None
