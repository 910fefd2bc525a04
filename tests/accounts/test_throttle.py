"""Issue 13, finding 4: login and token requests are throttled per user name and per address (django-axes):
429 with Retry-After once locked, even for the right password, and the lockout is in the event log."""

import pytest
from django.contrib.auth.models import Group

from stack.processes import wait_until
from streams.models import StreamEvent

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = 60 / 3600  # hours


@pytest.fixture
def users(django_user_model):
    viewer = Group.objects.get_or_create(name="viewer")[0]
    for name in ("alice", "bob"):
        django_user_model.objects.create_user(name, password=f"{name}-pw-123").groups.add(viewer)


def _token(client, username: str, password: str, address: str = "10.0.0.5"):
    return client.post("/api/token/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _login(client, username: str, password: str, address: str = "10.0.0.5"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_to_the_token_endpoint_lock_the_user_out_with_429(client, users):
    """GIVEN a user WHEN its wrong password is sent to /api/token/ as often as the limit THEN the last answer is
    429 with Retry-After and a JSON message; the right password is refused the same way straight after; the
    event log records the lockout; another user from another address still gets a token."""
    answers = [_token(client, "alice", "wrong").status_code for _ in range(LIMIT)]
    assert answers == [400] * (LIMIT - 1) + [429]
    locked = _token(client, "alice", "alice-pw-123")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 60 and "Try again in 60 s" in locked.json()["detail"]
    assert "token" not in locked.json()
    lockout = StreamEvent.objects.get(kind="security", stream=None)
    assert "alice" in lockout.message and "10.0.0.5" in lockout.message
    assert _token(client, "bob", "bob-pw-123", address="10.0.0.9").status_code == 200


def test_failures_from_one_address_lock_that_address_whatever_the_user_name(client, users):
    """GIVEN wrong passwords for several user names from one address WHEN the limit is reached THEN that
    address gets 429 even for a valid user, while the same user from another address logs in."""
    for name in ("carol", "dave", "erin"):
        _token(client, name, "wrong")
    assert _token(client, "bob", "bob-pw-123").status_code == 429
    assert _token(client, "bob", "bob-pw-123", address="10.0.0.6").status_code == 200


def test_failures_for_one_user_lock_that_user_from_every_address(client, users):
    """GIVEN wrong passwords for one user name from several addresses WHEN the limit is reached THEN that user
    is locked out from a fresh address too, and another user from that fresh address is not."""
    for index in range(LIMIT):
        _token(client, "alice", "wrong", address=f"10.0.1.{index}")
    assert _token(client, "alice", "alice-pw-123", address="10.0.2.1").status_code == 429
    assert _token(client, "bob", "bob-pw-123", address="10.0.2.1").status_code == 200


def test_the_login_page_locks_out_too_and_lets_in_after_the_cool_off(client, users, settings):
    """GIVEN the login page WHEN a user's wrong password is posted as often as the limit THEN the page answers
    429 with Retry-After and says when to try again, also for the right password; once the cool-off is over
    the right password logs in."""
    settings.AXES_COOLOFF_TIME = 2 / 3600
    statuses = [_login(client, "alice", "wrong").status_code for _ in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    locked = _login(client, "alice", "alice-pw-123")
    assert locked.status_code == 429 and locked["Retry-After"] == "2"
    assert "Too many failed logins" in locked.content.decode()
    wait_until(lambda: _login(client, "alice", "alice-pw-123").status_code == 302, timeout=10, interval=0.5,
               what="the cool-off to end")
