"""Chromium on the whole product (issue 13): the admin's change form saves a stream (finding 1), a viewer sees
streams but no control (finding 3), and the wall shows why a stream waits for a worker, as the API does
(finding 7)."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.stack]

TIMEOUT_MS = 15_000


@pytest.fixture
def made(live_stack):
    """Streams made through the API, deleted afterwards."""
    ids: list[int] = []

    def make(**fields) -> dict:
        response = live_stack.api("POST", "/api/streams/", {"name": f"roles-{uuid.uuid4().hex[:6]}", **fields})
        assert response.status == 201, response.body
        ids.append(response.body["id"])
        return response.body

    yield make
    for stream_id in ids:
        live_stack.api("DELETE", f"/api/streams/{stream_id}/")


def _log_in(page: Page, live_stack, username: str, password: str) -> None:
    page.goto(live_stack.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Streams", exact=True)).to_be_visible()


def test_the_admin_change_form_saves_a_stream(page: Page, live_stack, made):
    """GIVEN a stream WHEN the admin opens its change page in the admin site, sets Max FPS to 7.5 and presses
    Save THEN the admin says it was changed and the API shows the new max FPS."""
    stream = made(source="0", start=False, max_fps=5)
    _log_in(page, live_stack, live_stack.admin_username, live_stack.admin_password)
    page.goto(f"{live_stack.url}/admin/streams/stream/{stream['id']}/change/")
    page.get_by_label("Max FPS").fill("7.5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert live_stack.stream(stream["id"])["max_fps"] == 7.5


def test_a_viewer_watches_without_controls_and_sees_why_a_stream_waits(page: Page, live_stack, made):
    """GIVEN a viewer and a stream pinned to a queue no worker consumes WHEN the viewer opens the wall THEN the
    tile shows the reason the API gives ("no worker consumes queue …"), and no command, add or delete control
    is on the wall or the stream page."""
    queue = f"nobody-{uuid.uuid4().hex[:6]}"
    stream = made(source="0", queue=queue)
    reason = f"no worker consumes queue {queue}"
    assert live_stack.stream(stream["id"])["status_reason"] == reason
    password = "viewer-pw-12345"
    live_stack.manage("create_user", f"viewer-{queue}", "--role", "viewer", "--password", password)
    _log_in(page, live_stack, f"viewer-{queue}", password)
    tile = page.locator(f".tile[data-stream-id='{stream['id']}']")
    expect(tile.locator(".status-reason")).to_have_text(reason, timeout=TIMEOUT_MS)
    expect(tile.locator(".tile-placeholder")).to_contain_text(reason)
    expect(page.get_by_role("button", name=re.compile(r"^(Start|Stop|Pause|Resume) "))).to_have_count(0)
    expect(page.get_by_role("link", name="Add stream")).to_have_count(0)
    tile.get_by_role("link", name=f"Open {stream['name']}").click()
    expect(page.get_by_role("heading", name=stream["name"])).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Start|Stop|Pause|Restart|Delete|Apply"))).to_have_count(0)
