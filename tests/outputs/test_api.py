"""The viewing tokens' API (/api/streams/<id>/viewing-tokens/): admins list, create (the secret once) and revoke."""

import pytest

from outputs.models import ViewingToken
from streams.models import StreamEvent

pytestmark = pytest.mark.django_db


def _tokens_url(stream) -> str:
    return f"/api/streams/{stream.pk}/viewing-tokens/"


def test_an_admin_creates_lists_and_revokes_a_token_and_sees_the_secret_only_at_creation(admin_client, stream):
    """GIVEN a stream WHEN an admin POSTs a token's purpose THEN 201 with the secret and the player URLs holding it;
    the list and the token's page show its prefix and who made it, never the secret; WHEN it is revoked THEN it
    is inactive with a revocation time, and the token no longer opens the stream."""
    created = admin_client.post(_tokens_url(stream), {"name": "Home Assistant"}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["token"]
    assert secret.startswith("svt_") and body["prefix"] == secret[:8] and body["active"] is True
    assert body["urls"]["mjpeg"] == f"http://testserver/streams/{stream.pk}/mjpeg?token={secret}"
    assert f"still_image_url: \"http://testserver/streams/{stream.pk}/snapshot.jpg?token={secret}\"" in (
        body["urls"]["home_assistant"])
    assert body["urls"]["vlc"].startswith('vlc "http://testserver/')
    listed = admin_client.get(_tokens_url(stream))
    assert listed.status_code == 200 and secret not in listed.content.decode()
    assert [(t["name"], t["created_by"], t["active"]) for t in listed.json()] == [("Home Assistant", "admin", True)]
    one = admin_client.get(f"{_tokens_url(stream)}{body['id']}/")
    assert one.status_code == 200 and secret not in one.content.decode()
    revoked = admin_client.post(f"{_tokens_url(stream)}{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["active"] is False and revoked.json()["revoked_at"]
    assert admin_client.get(f"/streams/{stream.pk}/snapshot.jpg", {"token": secret}).status_code == 403
    assert StreamEvent.objects.filter(stream=stream, message__contains="revoked", actor="admin").exists()


def test_a_token_needs_a_purpose(admin_client, stream):
    """GIVEN an admin WHEN it POSTs no name or a blank one THEN 400 naming the field, and nothing is stored."""
    for body in ({}, {"name": "   "}, {"name": "x" * 101}):
        response = admin_client.post(_tokens_url(stream), body, content_type="application/json")
        assert response.status_code == 400 and "name" in response.json(), body
    assert not ViewingToken.objects.exists()


def test_tokens_of_an_unknown_stream_or_another_stream_are_404(admin_client, stream, other_stream, token_of):
    """GIVEN a token of another stream WHEN it is read or revoked under this stream's path THEN 404; an unknown
    stream's list is 404 too."""
    token_of(other_stream)
    foreign = ViewingToken.objects.get(stream=other_stream)
    assert admin_client.get(f"{_tokens_url(stream)}{foreign.pk}/").status_code == 404
    assert admin_client.post(f"{_tokens_url(stream)}{foreign.pk}/revoke/").status_code == 404
    assert admin_client.get("/api/streams/999999/viewing-tokens/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_touch_tokens(client, user_with_role, stream, token_of, role):
    """GIVEN a viewer or an operator WHEN it lists, creates or revokes tokens THEN 403 naming the admin role."""
    token_of(stream)
    client.force_login(user_with_role(role))
    token = ViewingToken.objects.get()
    for response in (client.get(_tokens_url(stream)),
                     client.post(_tokens_url(stream), {"name": "x"}, content_type="application/json"),
                     client.post(f"{_tokens_url(stream)}{token.pk}/revoke/")):  # fmt: skip
        assert response.status_code == 403 and "admin role" in response.json()["detail"]
    assert ViewingToken.objects.count() == 1 and ViewingToken.objects.get().revoked_at is None
