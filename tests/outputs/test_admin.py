"""Viewing tokens in the Django admin, posted as a browser posts its forms: add one (the secret shown once), revoke
with the list's action; admins only."""

import pytest
from django.contrib.auth.models import Group

from outputs import selectors
from outputs.models import ViewingToken
from streams.models import StreamEvent
from tests.adminforms import admin_form_data

pytestmark = pytest.mark.django_db

BASE = "/admin/outputs/viewingtoken/"


def _secret_in(messages: list[str]) -> str:
    shown = [word for message in messages for word in message.split() if word.startswith("svt_")]
    assert len(shown) == 1, messages
    return shown[0]


def test_saving_the_add_form_creates_a_token_whose_secret_is_shown_once(admin_client, stream):
    """GIVEN the admin's add form WHEN a stream and a purpose are filled in and saved THEN a token is stored with who
    made it, the page after the save shows its secret once (a hash is stored, not the secret), the token opens
    the stream's outputs, and neither the list nor the change page shows the secret again."""
    page = admin_client.get(BASE + "add/")
    assert set(page.context["adminform"].form.fields) == {"stream", "name"}
    form = admin_form_data(page, stream=str(stream.pk), name="VLC in the control room")
    saved = admin_client.post(BASE + "add/", form, follow=True)
    assert saved.status_code == 200
    secret = _secret_in([str(message) for message in saved.context["messages"]])
    token = ViewingToken.objects.get(stream=stream)
    assert (token.name, token.created_by.username) == ("VLC in the control room", "admin")
    assert token.token_hash == selectors.secret_hash(secret) and secret not in token.token_hash
    assert selectors.token_by_secret(secret) == token
    assert StreamEvent.objects.filter(stream=stream, actor="admin", message__contains="created").exists()
    for later in (BASE, f"{BASE}{token.pk}/change/"):
        body = admin_client.get(later).content.decode()
        assert secret not in body and token.shown in body


def test_an_empty_purpose_is_refused_by_the_form(admin_client, stream):
    """GIVEN the add form WHEN saved with no purpose THEN the form shows the error and nothing is stored."""
    page = admin_client.get(BASE + "add/")
    response = admin_client.post(BASE + "add/", admin_form_data(page, stream=str(stream.pk), name=""))
    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors
    assert not ViewingToken.objects.exists()


def test_the_revoke_action_revokes_and_an_unchanged_save_changes_nothing(admin_client, stream, token_of):
    """GIVEN two tokens WHEN the list's revoke action runs on one THEN it is revoked (logged with who), the other
    stays active; its change page saves unchanged (nothing of a token is edited) and it cannot be deleted."""
    token_of(stream, name="VLC"), token_of(stream, name="NVR")
    vlc, nvr = ViewingToken.objects.get(name="VLC"), ViewingToken.objects.get(name="NVR")
    response = admin_client.post(BASE, {"action": "revoke_selected", "_selected_action": [vlc.pk]}, follow=True)
    assert "1 viewing token(s) revoked" in response.content.decode()
    vlc.refresh_from_db(), nvr.refresh_from_db()
    assert vlc.revoked_at is not None and nvr.revoked_at is None
    assert StreamEvent.objects.filter(stream=stream, actor="admin", message__contains="“VLC”").filter(
        message__contains="revoked").exists()
    change = admin_client.get(f"{BASE}{nvr.pk}/change/")
    assert admin_client.post(f"{BASE}{nvr.pk}/change/", admin_form_data(change)).status_code == 302
    nvr.refresh_from_db()
    assert (nvr.name, nvr.revoked_at) == ("NVR", None)
    assert admin_client.get(f"{BASE}{nvr.pk}/delete/").status_code == 403


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_do_not_see_tokens_in_the_admin(client, django_user_model, stream, token_of, role):
    """GIVEN a staff user with the viewer or operator role WHEN it opens the tokens' admin pages THEN 403: tokens
    open a stream to players, an admin's business."""
    token_of(stream)
    user = django_user_model.objects.create_user(f"staff-{role}", password="pw-123456", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    assert client.get(BASE).status_code == 403
    assert client.get(BASE + "add/").status_code == 403
    assert client.post(BASE, {"action": "revoke_selected",
                              "_selected_action": [ViewingToken.objects.get().pk]}).status_code == 403
    assert ViewingToken.objects.get().revoked_at is None
