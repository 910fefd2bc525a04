"""A real Chromium drives the whole product: log in, add a stream, watch it annotated live, stop it."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.stack]

FRAMES_TIMEOUT_MS = 30_000
STOP_TIMEOUT_MS = 30_000


@pytest.fixture
def stream_name(live_stack):
    """A name no other test uses; whatever the test leaves running under it is deleted afterwards."""
    name = f"Browser highway {uuid.uuid4().hex[:6]}"
    yield name
    for stream in live_stack.api("GET", "/api/streams/").body or []:
        if stream["name"] == name:
            live_stack.api("DELETE", f"/api/streams/{stream['id']}/")


def _log_in(page: Page, live_stack) -> None:
    page.goto(live_stack.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(live_stack.admin_username)
    page.get_by_label("Password").fill(live_stack.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Streams", exact=True)).to_be_visible()


def test_operator_adds_watches_and_stops_a_stream(page: Page, live_stack, stream_name):
    """GIVEN the product running and an operator account
    WHEN the operator logs in, adds the highway video at 5 fps, watches its page, then presses Stop
    THEN annotated frames are painted on the canvas, the metrics list a vehicle class, and the badge ends "stopped"."""
    _log_in(page, live_stack)

    page.get_by_role("link", name="Add stream", exact=True).click()
    page.get_by_label("Name").fill(stream_name)
    page.get_by_label("Source").fill(str(live_stack.assets_dir / "traffic_highway.mp4"))
    page.get_by_label("Max FPS").fill("5")
    expect(page.get_by_label("Start now")).to_be_checked()
    page.get_by_role("button", name="Add stream").click()

    expect(page).to_have_url(re.compile(r"/streams/\d+/$"))
    expect(page.get_by_role("heading", name=stream_name)).to_be_visible()
    page.wait_for_function(
        "() => Number(document.querySelector('canvas#live-frame').dataset.frames) >= 2", timeout=FRAMES_TIMEOUT_MS
    )
    expect(page.locator("#live-placeholder")).to_be_hidden()
    vehicle = re.compile(r"car|truck|bus")
    expect(page.locator("#metric-detections")).to_contain_text(vehicle, timeout=FRAMES_TIMEOUT_MS)
    expect(page.locator("#stream-status")).to_have_attribute("data-status", "running", timeout=FRAMES_TIMEOUT_MS)

    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#stream-status")).to_have_attribute("data-status", "stopped", timeout=STOP_TIMEOUT_MS)
    expect(page.locator("#stream-status")).to_contain_text("stopped")
    expect(page.get_by_role("button", name="Start")).to_be_visible()
