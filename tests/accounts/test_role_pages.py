"""Controls a user cannot use are not shown (issue 13, finding 3): the wall and the stream page as a viewer, an
operator and an admin; a refused page says which role it needs."""

import pytest

from streams import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_as(client, user_with_role, clip):
    stream = services.stream_create(name="cam", source=clip, start=False)
    users = {}

    def get(role: str, path: str = "/") -> str:
        if role not in users:
            users[role] = user_with_role(role, f"pages-{role}")
        client.force_login(users[role])
        response = client.get(path.format(id=stream.pk))
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_a_viewer_sees_streams_without_any_control(page_as):
    """GIVEN a viewer WHEN it opens the wall and a stream page THEN neither shows a command, an add, edit or
    delete control, or the live-settings form; the stream page shows the settings as text."""
    for html in (page_as("viewer"), page_as("viewer", "/streams/{id}/")):
        assert "data-control=" not in html and "/streams/new/" not in html
        assert "/edit/" not in html and "Delete" not in html and 'id="live-settings"' not in html
    assert "Confidence threshold" in page_as("viewer", "/streams/{id}/")


def test_an_operator_sees_commands_and_live_settings_but_no_add_edit_or_delete(page_as):
    """GIVEN an operator WHEN it opens the wall and a stream page THEN the commands and the live-settings form
    are there, adding, editing and deleting are not."""
    wall, detail = page_as("operator"), page_as("operator", "/streams/{id}/")
    assert 'data-control="start"' in wall and 'data-control="stop"' in detail and 'id="live-settings"' in detail
    for html in (wall, detail):
        assert "/streams/new/" not in html and "/edit/" not in html and "Delete" not in html


def test_an_admin_sees_every_control(page_as):
    """GIVEN an admin WHEN it opens the wall and a stream page THEN add, commands, edit and delete are there."""
    wall, detail = page_as("admin"), page_as("admin", "/streams/{id}/")
    assert "/streams/new/" in wall and 'data-control="start"' in wall
    assert "/edit/" in detail and "Delete" in detail and 'id="live-settings"' in detail


def test_a_refused_page_names_the_role_it_needs(client, user_with_role):
    """GIVEN a viewer WHEN it opens the add-stream page THEN 403 with a page saying the admin role is needed."""
    client.force_login(user_with_role("viewer"))
    response = client.get("/streams/new/")
    assert response.status_code == 403
    assert "This needs the admin role; your role is viewer." in response.content.decode()


def test_zone_drawing_and_count_reset_are_an_operators(page_as):
    """GIVEN the stream page's zones-and-lines panel WHEN a viewer and an operator open it THEN only the operator
    gets the draw and reset controls and live analytics settings; the viewer still sees the counters."""
    viewer, operator = page_as("viewer", "/streams/{id}/"), page_as("operator", "/streams/{id}/")
    assert 'id="counter-lines"' in viewer and 'data-can-operate=""' in viewer
    assert 'id="draw-zone"' not in viewer and 'id="reset-counts"' not in viewer
    assert 'name="tracking" checked disabled' in viewer
    assert 'id="draw-zone"' in operator and 'id="reset-counts"' in operator and 'data-can-operate="1"' in operator
