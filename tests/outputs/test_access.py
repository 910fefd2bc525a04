"""Issue 22 (outputs, first slice): who may take a stream's MJPEG and still image. A viewing token of that stream,
in the URL or as the basic-auth password; nothing else (no session, no API token), no picture on a refusal, and
refusals throttled per address."""

import logging

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from outputs.models import ViewingToken
from streams.models import StreamEvent
from tests.outputs.conftest import basic

pytestmark = pytest.mark.django_db

ENDPOINTS = ("mjpeg", "snapshot.jpg")
JPEG_START = b"\xff\xd8"


def _url(stream, endpoint: str) -> str:
    return f"/streams/{stream.pk}/{endpoint}"


def _assert_refused(response, status: int, stream) -> None:
    assert response.status_code == status, response.content
    assert JPEG_START not in response.content
    assert response["Content-Type"].startswith("text/plain")
    if status == 401:
        assert response["WWW-Authenticate"] == f'Basic realm="StreamVision stream {stream.pk}"'


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_token_a_wrong_one_a_revoked_one_and_another_streams_are_refused(
    client, stream, other_stream, token_of, endpoint, caplog
):
    """GIVEN a stream with a revoked token, and a token of another stream WHEN its MJPEG or still image is asked for
    with no token, a wrong token, the revoked one and the other stream's (in the URL and as basic auth) THEN 401
    with a Basic challenge naming the stream (no or wrong token) or 403 (revoked, other stream), never a JPEG byte;
    each refusal of a presented token is logged with why, never with the token."""
    revoked, foreign = token_of(stream, revoked=True), token_of(other_stream)
    caplog.set_level(logging.WARNING, logger="outputs")
    url = _url(stream, endpoint)
    _assert_refused(client.get(url), 401, stream)
    _assert_refused(client.get(url, {"token": "svt_not-a-real-token"}), 401, stream)
    _assert_refused(client.get(url, HTTP_AUTHORIZATION=basic("svt_not-a-real-token")), 401, stream)
    _assert_refused(client.get(url, {"token": revoked}), 403, stream)
    _assert_refused(client.get(url, HTTP_AUTHORIZATION=basic(revoked)), 403, stream)
    _assert_refused(client.get(url, {"token": foreign}), 403, stream)
    _assert_refused(client.get(url, HTTP_AUTHORIZATION=basic(foreign)), 403, stream)
    logged = caplog.text
    assert "revoked" in logged and "unknown token" in logged and f"is for stream {other_stream.pk}" in logged
    assert revoked not in logged and foreign not in logged and "svt_not-a-real-token" not in logged


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_session_or_an_api_token_is_no_viewing_token(admin_client, admin_user, stream, endpoint):
    """GIVEN an admin logged in, and the admin's API token WHEN the outputs are asked for with the session cookie,
    with "Authorization: Token <key>" and with the API key as a ?token= THEN 401 every time: a player's URL never
    needs a login's credentials."""
    key = Token.objects.create(user=admin_user).key
    url = _url(stream, endpoint)
    _assert_refused(admin_client.get(url), 401, stream)
    _assert_refused(Client().get(url, HTTP_AUTHORIZATION=f"Token {key}"), 401, stream)
    _assert_refused(Client().get(url, {"token": key}), 401, stream)


def test_after_n_refused_tokens_an_address_gets_429_even_with_the_right_token(settings, stream, token_of):
    """GIVEN a failure limit of 3 WHEN one address presents 3 wrong tokens THEN the next request from it is a 429
    with Retry-After, even with a valid token, and the lockout is in the event log; requests without any token
    did not count; another address is still served."""
    settings.OUTPUT_TOKEN_FAILURE_LIMIT, settings.OUTPUT_TOKEN_LOCKOUT_S = 3, 120
    valid = token_of(stream)
    player = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(5):
        assert player.get(_url(stream, "mjpeg")).status_code == 401  # no credentials: the challenge, not counted
    for _ in range(3):
        assert player.get(_url(stream, "mjpeg"), {"token": "svt_guess"}).status_code == 401
    locked = player.get(_url(stream, "snapshot.jpg"), {"token": valid})
    assert locked.status_code == 429 and 0 < int(locked["Retry-After"]) <= 120
    assert JPEG_START not in locked.content
    assert StreamEvent.objects.filter(kind="security", message__contains="10.0.0.5 locked out").count() == 1
    other = Client(REMOTE_ADDR="10.0.0.6").get(_url(stream, "snapshot.jpg"), {"token": valid})
    assert other.status_code == 503  # let through: the stream is stopped, so no picture, but no lockout


def test_a_valid_token_notes_its_last_use(client, stream, token_of):
    """GIVEN a fresh token WHEN a player uses it THEN its last_used_at is set (the stream is stopped: 503)."""
    secret = token_of(stream)
    assert client.get(_url(stream, "snapshot.jpg"), HTTP_AUTHORIZATION=basic(secret, user="")).status_code == 503
    assert ViewingToken.objects.get(stream=stream).last_used_at is not None


@pytest.mark.parametrize("query", [{"size": "huge"}, {"fps": "fast"}, {"fps": "0"}, {"fps": "1000"}])
def test_mjpeg_refuses_sizes_and_rates_it_does_not_serve(client, stream, token_of, running, query):
    """GIVEN a running stream and its token WHEN MJPEG is asked for at an unknown size or an impossible rate THEN
    400 saying what is wrong."""
    running(stream)
    response = client.get(_url(stream, "mjpeg"), {"token": token_of(stream), **query})
    assert response.status_code == 400 and ("size" in response.content.decode() or "fps" in response.content.decode())
