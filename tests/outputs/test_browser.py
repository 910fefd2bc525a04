"""A real Chromium on the stream page's "Outputs for players" panel, at a desktop and a phone width: the URLs to
copy, filling in a token's secret, "Copy for VLC", and making a token. Screenshots of the panel go to
test-artifacts/outputs/ to be looked at."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.stack]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "outputs"


@pytest.fixture
def stopped_stream(live_stack):
    """A stream that is not started (the page is what is looked at), with one viewing token."""
    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    stream = live_stack.api("POST", "/api/streams/", {"name": "Outputs page", "source": source, "start": False}).body
    live_stack.api("POST", f"/api/streams/{stream['id']}/viewing-tokens/", {"name": "VLC in the control room"})
    yield stream
    live_stack.api("DELETE", f"/api/streams/{stream['id']}/")


def _page(new_context, live_stack, width: int) -> Page:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = new_context(viewport={"width": width, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_stack.url)
    page = context.new_page()
    page.goto(live_stack.url + "/accounts/login/")
    page.get_by_label("Username").fill(live_stack.admin_username)
    page.get_by_label("Password").fill(live_stack.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Streams", exact=True)).to_be_visible()
    return page


@pytest.mark.parametrize("width", [1440, 390])
def test_an_admin_copies_player_urls_with_a_token_filled_in(new_context, live_stack, stopped_stream, width):
    """GIVEN an admin on a stream page with one viewing token, at 1440 or 390 px WHEN it chooses the token, pastes
    a secret and presses "Copy for VLC" THEN the URLs show that secret and the clipboard holds the VLC command;
    the panel fits the width (no sideways scrolling)."""
    page = _page(new_context, live_stack, width)
    page.goto(f"{live_stack.url}/streams/{stopped_stream['id']}/")
    panel = page.locator("#outputs")
    expect(panel.get_by_role("heading", name="Outputs for players")).to_be_visible()
    expect(panel.locator("#output-mjpeg")).to_have_text(re.compile(r"/mjpeg\?token=TOKEN$"))
    panel.get_by_label("Token for the links").select_option(index=1)  # "VLC in the control room · svt_…"
    expect(panel.get_by_label("Its secret")).to_have_attribute("placeholder", re.compile(r"^svt_.{4}… \(paste"))
    panel.get_by_label("Its secret").fill("svt_example-secret")
    mjpeg = f"{live_stack.url}/streams/{stopped_stream['id']}/mjpeg?token=svt_example-secret"
    expect(panel.locator("#output-mjpeg")).to_have_text(mjpeg)
    expect(panel.locator("#output-home-assistant")).to_contain_text(f'mjpeg_url: "{mjpeg}"')
    panel.get_by_role("button", name="Copy for VLC").click()
    expect(panel.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == f'vlc "{mjpeg}"'
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert panel.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing in the panel sticks out sideways
    revoke = panel.get_by_role("button", name="Revoke")
    assert revoke.bounding_box()["x"] + revoke.bounding_box()["width"] <= box["x"] + box["width"]  # in view
    page.set_viewport_size({"width": width, "height": 2400})  # the whole panel in view: no sticky bar over it
    panel.screenshot(path=str(ARTIFACTS / f"stream-page-outputs-{width}.png"))


def test_making_a_token_on_the_page_shows_its_secret_once(new_context, live_stack, stopped_stream):
    """GIVEN an admin on the stream page WHEN it makes a token for "Home Assistant" THEN the next page shows the
    secret and the URLs holding it; back on the stream page the token is listed, its secret nowhere."""
    page = _page(new_context, live_stack, 1440)
    page.goto(f"{live_stack.url}/streams/{stopped_stream['id']}/")
    page.get_by_label("New token for").fill("Home Assistant")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#viewing-token-secret").inner_text()
    assert secret.startswith("svt_")
    expect(page.locator("#output-snapshot")).to_contain_text(f"snapshot.jpg?token={secret}")
    page.screenshot(path=str(ARTIFACTS / "token-created-1440.png"), full_page=True)
    page.get_by_role("link", name="Done").click()
    expect(page.locator("#outputs")).to_contain_text("Home Assistant")
    assert secret not in page.content()
