"""Standard Webhooks signatures (events/signing.py), checked with the reference verifier."""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from events import signing
from events.models import WebhookEndpoint


def _endpoint(**fields) -> WebhookEndpoint:
    return WebhookEndpoint(name="r", url="https://example.org/h", secret=signing.new_secret(), **fields)


def test_signature_verifies_with_the_reference_implementation_and_not_with_another_secret():
    """GIVEN an endpoint's whsec_ secret WHEN a body is signed THEN the standardwebhooks verifier accepts it with
    that secret, and refuses it with another one or a changed body."""
    endpoint = _endpoint()
    body = '{"type":"event.new","timestamp":"2026-01-01T00:00:00Z","data":{}}'
    headers = signing.signed_headers(endpoint=endpoint, msg_id="msg_1", body=body, now=timezone.now())
    assert endpoint.secret.startswith("whsec_") and headers["webhook-signature"].startswith("v1,")
    assert Webhook(endpoint.secret).verify(body, headers)["type"] == "event.new"
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace("new", "end"), headers)


def test_during_a_rotation_both_secrets_sign_and_afterwards_only_the_new_one():
    """GIVEN a rotated secret whose overlap lasts WHEN signing THEN two signatures, each verifying with its secret;
    once the overlap is over, one."""
    old = signing.new_secret()
    endpoint = _endpoint(previous_secret=old, previous_secret_until=timezone.now() + timedelta(hours=1))
    headers = signing.signed_headers(endpoint=endpoint, msg_id="msg_2", body="{}", now=timezone.now())
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify("{}", headers) == {} and Webhook(endpoint.secret).verify("{}", headers) == {}
    later = timezone.now() + timedelta(hours=2)
    headers = signing.signed_headers(endpoint=endpoint, msg_id="m", body="{}", now=later)
    assert len(headers["webhook-signature"].split()) == 1
