"""The stream page's "Outputs for players" panel (admins): the URLs to copy, the tokens, creating and revoking."""

import re

import pytest

from outputs.models import ViewingToken

pytestmark = pytest.mark.django_db


def test_an_admin_sees_the_output_urls_and_the_tokens_on_the_stream_page(admin_client, stream, token_of):
    """GIVEN a stream with an active and a revoked token WHEN an admin opens its page THEN the panel lists the MJPEG
    and still-image URLs (with the TOKEN placeholder to fill), the VLC and Home Assistant snippets, the active
    token (by purpose and prefix, with a revoke button) and no secret."""
    secret = token_of(stream, name="VLC in the control room")
    token_of(stream, name="Old NVR", revoked=True)
    whole = admin_client.get(f"/streams/{stream.pk}/").content.decode()
    page = whole[whole.index('id="outputs"'):]
    page = page[: page.index("</section>")]
    assert f"http://testserver/streams/{stream.pk}/mjpeg?token=TOKEN" in page
    assert f"http://testserver/streams/{stream.pk}/snapshot.jpg?token=TOKEN" in page
    assert "Copy for VLC" in page and "Copy for Home Assistant" in page and "platform: mjpeg" in page
    token = ViewingToken.objects.get(name="VLC in the control room")
    assert token.shown in page and f"/streams/{stream.pk}/viewing-tokens/{token.pk}/revoke/" in page
    assert "Old NVR" not in page and "1 revoked" in page
    assert secret not in whole


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_get_no_outputs_panel(client, user_with_role, stream, role):
    """GIVEN a viewer or an operator WHEN it opens the stream page THEN there is no outputs panel."""
    client.force_login(user_with_role(role))
    page = client.get(f"/streams/{stream.pk}/")
    assert page.status_code == 200 and 'id="outputs"' not in page.content.decode()


def test_creating_a_token_on_the_page_shows_its_secret_once_in_ready_urls(admin_client, stream):
    """GIVEN the stream page WHEN an admin creates a token for "Home Assistant" THEN the answer shows the secret
    and the URLs and snippets with it filled in; the stream page afterwards lists the token but not the secret."""
    response = admin_client.post(f"/streams/{stream.pk}/viewing-tokens/new/", {"name": "Home Assistant"})
    assert response.status_code == 201
    body = response.content.decode()
    secret = re.search(r'id="viewing-token-secret">(svt_[\w-]+)<', body).group(1)
    assert f"/streams/{stream.pk}/mjpeg?token={secret}" in body
    assert f"vlc &quot;http://testserver/streams/{stream.pk}/mjpeg?token={secret}&quot;" in body
    assert f"still_image_url: &quot;http://testserver/streams/{stream.pk}/snapshot.jpg?token={secret}&quot;" in body
    later = admin_client.get(f"/streams/{stream.pk}/").content.decode()
    assert "Home Assistant" in later and secret not in later


def test_a_blank_purpose_is_refused_with_a_message(admin_client, stream):
    """GIVEN the stream page WHEN a token is created with a blank purpose THEN back to the page with the reason."""
    response = admin_client.post(f"/streams/{stream.pk}/viewing-tokens/new/", {"name": " "}, follow=True)
    assert "Viewing token not created" in response.content.decode()
    assert not ViewingToken.objects.exists()


def test_revoking_on_the_page_revokes(admin_client, stream, token_of):
    """GIVEN an active token WHEN an admin revokes it from the stream page THEN it is revoked and the page says so."""
    token_of(stream)
    token = ViewingToken.objects.get()
    response = admin_client.post(f"/streams/{stream.pk}/viewing-tokens/{token.pk}/revoke/", follow=True)
    assert "revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
