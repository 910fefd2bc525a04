"""A real Chromium draws a zone and a line with the mouse on the stream page of the running product, sees them
on the next frames (drawn by the worker) and sees the counters move."""

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.stack]

ROOT = Path(__file__).resolve().parents[2]
FRAMES_TIMEOUT_MS = 30_000
COUNT_TIMEOUT_MS = 60_000
# How many pixels of the worker's overlay colour (analytics/runtime/overlay.py) lie on a horizontal run of the
# live canvas: magenta for lines, sky blue for zones; JPEG blurs the edges, not the middle of a 3-px stroke.
OVERLAY_PIXELS = """([y, x0, x1, colour]) => {
  const canvas = document.querySelector('canvas#live-frame');
  const row = Math.round(y * canvas.height);
  const data = canvas.getContext('2d').getImageData(0, row - 3, canvas.width, 7).data;
  let found = 0;
  for (let dy = 0; dy < 7; dy += 1) {
    for (let x = Math.round(x0 * canvas.width); x < Math.round(x1 * canvas.width); x += 1) {
      const i = 4 * (dy * canvas.width + x);
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (colour === 'magenta' ? r > 170 && b > 170 && g < 110 : b > 170 && g > 120 && r < 90) found += 1;
    }
  }
  return found;
}"""


@pytest.fixture
def running_stream(live_stack):
    name = f"Counting highway {uuid.uuid4().hex[:6]}"
    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    stream = live_stack.api("POST", "/api/streams/", {"name": name, "source": source, "max_fps": 15}).body
    yield stream
    live_stack.api("DELETE", f"/api/streams/{stream['id']}/")


def _log_in(page: Page, live_stack, path: str) -> None:
    page.goto(live_stack.url + path)
    page.get_by_label("Username").fill(live_stack.admin_username)
    page.get_by_label("Password").fill(live_stack.admin_password)
    page.get_by_role("button", name="Log in").click()


def _click_at(page: Page, points: list[tuple[float, float]]) -> None:
    box = page.locator("#shape-editor").bounding_box()
    for x, y in points:
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])


def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = page.locator("#shape-editor").bounding_box()
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=5)
    page.mouse.up()


def _overlay_pixels(page: Page, y: float, x0: float, x1: float, colour: str) -> int:
    return page.evaluate(OVERLAY_PIXELS, [y, x0, x1, colour])


def test_operator_draws_a_line_and_a_zone_sees_them_on_the_video_and_the_counters_move(page, live_stack,
                                                                                        running_stream):  # fmt: skip
    """GIVEN the highway video running at 15 fps and its page open
    WHEN the operator draws a line across the lanes (two clicks) and a zone over the near lanes (four clicks,
    closed on the first point, one corner then dragged), naming and saving each
    THEN the worker draws both on the next frames, within a minute the line's 'in' count and the zone's entries
    are above zero, and the stream's wall tile says who is inside the zone."""
    _log_in(page, live_stack, f"/streams/{running_stream['id']}/")
    page.wait_for_function("() => Number(document.querySelector('canvas#live-frame').dataset.frames) >= 2",
                           timeout=FRAMES_TIMEOUT_MS)  # fmt: skip
    assert _overlay_pixels(page, 0.5, 0.3, 0.7, "magenta") < 5  # nothing drawn there yet

    page.get_by_role("button", name="Draw line").click()
    _click_at(page, [(0.16, 0.5), (0.84, 0.5)])
    page.get_by_label("Name").fill("Gate")
    page.get_by_role("button", name="Save shape").click()
    expect(page.locator('#counter-lines tr[data-name="Gate"]')).to_be_visible()

    page.get_by_role("button", name="Draw zone").click()
    _click_at(page, [(0.25, 0.62), (0.75, 0.62), (0.95, 0.9), (0.05, 0.9), (0.25, 0.62)])
    _drag(page, (0.95, 0.9), (0.97, 0.95))
    page.get_by_label("Name").fill("Near lanes")
    page.get_by_role("button", name="Save shape").click()
    zone_row = page.locator('#counter-zones tr[data-name="Near lanes"]')
    expect(zone_row).to_be_visible()
    zone = next(z for z in live_stack.api("GET", f"/api/streams/{running_stream['id']}/zones/").body)
    assert zone["points"][2] == pytest.approx([0.97, 0.95], abs=0.01)

    page.wait_for_function(f"() => ({OVERLAY_PIXELS})([0.5, 0.3, 0.7, 'magenta']) > 40", timeout=FRAMES_TIMEOUT_MS)
    page.wait_for_function(f"() => ({OVERLAY_PIXELS})([0.62, 0.35, 0.65, 'blue']) > 40", timeout=FRAMES_TIMEOUT_MS)

    line_in = page.locator('#counter-lines tr[data-name="Gate"] .count-in')
    expect(line_in).to_have_attribute("data-total", re.compile(r"^[1-9]\d*$"), timeout=COUNT_TIMEOUT_MS)
    expect(zone_row.locator(".entries")).to_have_attribute("data-total", re.compile(r"^[1-9]\d*$"),
                                                          timeout=COUNT_TIMEOUT_MS)  # fmt: skip
    expect(page.locator('#counter-lines tr[data-name="Gate"] .count-out')).to_have_attribute("data-total", "0")
    page.goto(live_stack.url + "/")  # the wall: the tile says who is inside the zone
    tile = page.locator(f'.tile[data-stream-id="{running_stream["id"]}"]')
    expect(tile.locator(".tile-occupancy")).to_contain_text("Near lanes", timeout=FRAMES_TIMEOUT_MS)
    page.goto(f"{live_stack.url}/streams/{running_stream['id']}/")
    expect(page.locator('#counter-lines tr[data-name="Gate"] .count-in')).to_have_attribute(
        "data-total", re.compile(r"^[1-9]\d*$"), timeout=COUNT_TIMEOUT_MS)  # fmt: skip
    page.wait_for_function("() => Number(document.querySelector('canvas#live-frame').dataset.frames) >= 2",
                           timeout=FRAMES_TIMEOUT_MS)  # fmt: skip
    shots = ROOT / "test-artifacts" / "analytics"  # for the record (docs/analytics.png was taken from these)
    shots.mkdir(parents=True, exist_ok=True)
    page.add_style_tag(content=".topbar { position: static; }")
    page.locator(".live-layout").screenshot(path=str(shots / "video.png"))
    page.locator("#analytics-panel").screenshot(path=str(shots / "counters.png"))
