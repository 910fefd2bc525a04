"""A real Chromium drives the whole product: the wall, the stream page with its charts, adding and stopping.

Pages come from pytest-playwright's `page` / `new_context` fixtures, so every page of a failed test is
screenshotted into test-artifacts/ (pyproject: --screenshot=only-on-failure).
"""

import re
import time
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from stack.processes import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.stack]

FRAMES_TIMEOUT_MS = 30_000
STOP_TIMEOUT_MS = 30_000
WALL_TIMEOUT_MS = 15_000


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


def _logged_in_page(new_context, live_stack) -> Page:
    context: BrowserContext = new_context()
    page = context.new_page()
    _log_in(page, live_stack)
    return page


def _tile(page: Page, name: str):
    return page.locator(".tile", has=page.get_by_role("heading", name=name, exact=True))


def test_operator_adds_watches_and_stops_a_stream(page: Page, live_stack, stream_name):
    """GIVEN the product running and an operator account
    WHEN the operator logs in, adds the highway video at 5 fps, watches its page, then presses Stop
    THEN annotated frames are painted, the metrics list a vehicle class, the three charts receive points
    (a series per detected class), and the badge and the placeholder end "stopped"."""
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
    for chart in ("#chart-fps", "#chart-latency", "#chart-detections"):
        page.wait_for_function(
            f"() => Number(document.querySelector('{chart}').dataset.points) >= 2", timeout=FRAMES_TIMEOUT_MS
        )
    expect(page.locator("#chart-detections")).to_have_attribute("data-classes", vehicle)
    expect(page.locator("#chart-fps canvas")).to_be_visible()

    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#stream-status")).to_have_attribute("data-status", "stopped", timeout=STOP_TIMEOUT_MS)
    expect(page.locator("#stream-status")).to_contain_text("stopped")
    expect(page.locator("#live-placeholder")).to_have_text("Stopped")
    expect(page.get_by_role("button", name="Start")).to_be_visible()


def test_a_stream_added_in_one_browser_appears_live_on_anothers_wall(new_context, live_stack, stream_name):
    """GIVEN two operators, each in their own browser context, the second watching the wall
    WHEN the first adds a stream, then the second stops it from its tile, then it is deleted through the API
    THEN its tile appears on the second wall without a reload and shows live frames, fps and detections,
    then the "Stopped" placeholder with no picture or counts left, then disappears."""
    wall = _logged_in_page(new_context, live_stack)
    adder = _logged_in_page(new_context, live_stack)
    expect(_tile(wall, stream_name)).to_have_count(0)

    adder.goto(live_stack.url + "/streams/new/")
    adder.get_by_label("Name").fill(stream_name)
    adder.get_by_label("Source").fill(str(live_stack.assets_dir / "traffic_highway.mp4"))
    adder.get_by_label("Max FPS").fill("5")
    adder.get_by_role("button", name="Add stream").click()
    expect(adder).to_have_url(re.compile(r"/streams/\d+/$"))

    tile = _tile(wall, stream_name)
    expect(tile).to_have_count(1, timeout=WALL_TIMEOUT_MS)
    tile.locator("canvas.tile-frame[data-frames]").wait_for()
    wall.wait_for_function(
        "(name) => [...document.querySelectorAll('.tile')].some((t) => t.querySelector('h2').textContent.trim()"
        " === name && Number(t.querySelector('canvas').dataset.frames) >= 3)",
        arg=stream_name, timeout=FRAMES_TIMEOUT_MS,
    )
    expect(tile.locator(".tile-placeholder")).to_be_hidden()
    expect(tile.locator(".tile-fps")).not_to_have_text("–", timeout=FRAMES_TIMEOUT_MS)
    expect(tile.locator(".tile-detections")).to_contain_text(re.compile(r"car|truck|bus"), timeout=FRAMES_TIMEOUT_MS)

    tile.get_by_role("button", name=f"Stop {stream_name}").click()
    tile = _tile(wall, stream_name)
    expect(tile.locator(".status")).to_have_attribute("data-status", "stopped", timeout=STOP_TIMEOUT_MS)
    expect(tile.locator(".tile-placeholder")).to_have_text("Stopped")
    expect(tile.locator(".tile-placeholder")).to_be_visible()
    # No frames, no stale picture or counts (issue 13, finding 6): the tile says so instead.
    expect(tile.locator(".tile-video")).to_have_attribute("data-has-frame", "false")
    expect(tile.locator(".tile-detections")).to_have_text("–")

    stream_id = int(tile.get_attribute("data-stream-id"))
    assert live_stack.api("DELETE", f"/api/streams/{stream_id}/").status == 204
    expect(_tile(wall, stream_name)).to_have_count(0, timeout=WALL_TIMEOUT_MS)


def test_failed_stream_shows_its_reason_on_the_wall(page: Page, live_stack, stream_name):
    """GIVEN a camera URL nobody answers at WHEN it is added through the API
    THEN its tile shows the failure placeholder with the reason, and never the camera password."""
    _log_in(page, live_stack)
    source = "rtsp://op:s3cret@127.0.0.1:9/live"
    created = live_stack.api("POST", "/api/streams/", {"name": stream_name, "source": source})
    assert created.status == 201, created.body
    tile = _tile(page, stream_name)
    expect(tile.locator(".status")).to_have_attribute("data-status", "failed", timeout=60_000)
    expect(tile.locator(".tile-placeholder")).to_contain_text("Failed:")
    assert "s3cret" not in page.content()


def test_system_page_shows_triton_and_its_model(page: Page, live_stack):
    """GIVEN the product running WHEN the operator opens the system page
    THEN Triton is ready with the yolo model loaded, and the database and broker are up."""
    _log_in(page, live_stack)
    page.get_by_role("link", name="System").click()
    expect(page.get_by_role("heading", name="System", exact=True)).to_be_visible()
    for part in ("triton", "database", "broker"):
        expect(page.locator(f'[data-part="{part}"]')).to_have_attribute("data-ok", "true")
    expect(page.locator('tr[data-model="yolo"]')).to_contain_text("ready")


def test_test_source_shows_a_snapshot_or_the_exact_error(page: Page, live_stack):
    """GIVEN the add form WHEN "Test source" is pressed for the highway video, then for a closed camera port
    THEN a snapshot appears, then the exact error, with the password redacted."""
    _log_in(page, live_stack)
    page.goto(live_stack.url + "/streams/new/")
    page.get_by_label("Source").fill(str(live_stack.assets_dir / "traffic_highway.mp4"))
    page.get_by_role("button", name="Test source").click()
    expect(page.get_by_role("img", name="Snapshot from the source")).to_be_visible(timeout=20_000)
    expect(page.locator("#probe-result")).to_contain_text("works")

    page.get_by_label("Source").fill("rtsp://op:s3cret@127.0.0.1:9/live")
    page.get_by_role("button", name="Test source").click()
    expect(page.locator("#probe-result")).to_have_attribute("data-ok", "false", timeout=20_000)
    expect(page.locator("#probe-message")).to_contain_text("refused")
    expect(page.locator("#probe-message")).to_contain_text("op:***@127.0.0.1")
    assert "s3cret" not in page.locator("#probe-result").inner_text()


def test_every_page_renders_on_a_laptop_and_a_wall_screen(new_context, live_stack, stream_name, pytestconfig):
    """GIVEN a running stream WHEN the wall, the stream page, the add form and the system page are opened at
    laptop size (1366×768) and wall-screen size (2560×1440)
    THEN each renders its heading with no horizontal scroll, and a screenshot of each is kept in
    test-artifacts/pages/ for the record."""
    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    stream = live_stack.api("POST", "/api/streams/", {"name": stream_name, "source": source, "max_fps": 5}).body
    folder = pytestconfig.rootpath / pytestconfig.getoption("--output") / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "wall": ("/", "Streams"), "stream": (f"/streams/{stream['id']}/", stream_name),
        "add": ("/streams/new/", "Add stream"), "system": ("/system/", "System"),
    }
    for screen, (width, height) in {"laptop": (1366, 768), "wall-screen": (2560, 1440)}.items():
        page = new_context(viewport={"width": width, "height": height}).new_page()
        _log_in(page, live_stack)
        for name, (path, heading) in pages.items():
            page.goto(live_stack.url + path)
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            if name in ("wall", "stream"):
                page.wait_for_function("() => [...document.querySelectorAll('canvas')].some("
                                       "(c) => Number(c.dataset.frames) >= 2)", timeout=FRAMES_TIMEOUT_MS)
            if name == "stream":
                page.wait_for_function("() => Number(document.querySelector('#chart-fps').dataset.points) >= 3",
                                       timeout=FRAMES_TIMEOUT_MS)
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), name
            page.screenshot(path=folder / f"{name}-{screen}.png", full_page=True)


def test_wall_sends_frames_only_for_tiles_on_screen(new_context, live_stack):
    """GIVEN two running streams whose wall tiles are far apart (ten stopped streams between them) on a short
    screen WHEN the wall is opened, then scrolled to the bottom
    THEN only the tile on screen paints frames and is registered as a viewer (so its worker encodes tiles
    for it alone), the other keeps its status; after scrolling the roles swap."""
    from streams import viewers

    prefix = f"Visible {uuid.uuid4().hex[:6]}"
    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    items = [{"name": f"{prefix} A", "source": source, "max_fps": 3}, {"name": f"{prefix} Z", "source": source,
                                                                       "max_fps": 3}]
    items += [{"name": f"{prefix} M{i}", "source": source, "start": False} for i in range(10)]
    created = live_stack.api("POST", "/api/streams/bulk/", items)
    assert created.status == 201, created.body
    top, bottom = created.body[0]["id"], created.body[1]["id"]
    redis = live_stack.redis()

    def tile_viewers(stream_id: int) -> int:
        return viewers.viewer_counts(stream_id=stream_id, client=redis)["tile"]

    def frames(stream_id: int) -> int:
        return int(page.locator(f".tile[data-stream-id='{stream_id}'] canvas").get_attribute("data-frames") or 0)

    try:
        for stream_id in (top, bottom):
            live_stack.wait_for_status(stream_id, "running", timeout=60)
        page = new_context(viewport={"width": 900, "height": 500}).new_page()
        _log_in(page, live_stack)
        lower = page.locator(f".tile[data-stream-id='{bottom}']")
        expect(page.locator(f".tile[data-stream-id='{top}']")).to_have_attribute("data-on-screen", "true")
        expect(lower).to_have_attribute("data-on-screen", "false")
        page.wait_for_function(f"() => Number(document.querySelector(\".tile[data-stream-id='{top}'] canvas\")"
                               ".dataset.frames) >= 4", timeout=FRAMES_TIMEOUT_MS)
        assert (frames(bottom), tile_viewers(top), tile_viewers(bottom)) == (0, 1, 0)
        expect(lower.locator(".status")).to_have_attribute("data-status", "running")

        lower.scroll_into_view_if_needed()
        page.wait_for_function(f"() => Number(document.querySelector(\".tile[data-stream-id='{bottom}'] canvas\")"
                               ".dataset.frames) >= 2", timeout=FRAMES_TIMEOUT_MS)
        wait_until(lambda: (tile_viewers(top), tile_viewers(bottom)) == (0, 1), timeout=10,
                   what="viewers to follow the scroll")
        shown_at_top = frames(top)
        page.wait_for_function(f"() => Number(document.querySelector(\".tile[data-stream-id='{bottom}'] canvas\")"
                               ".dataset.frames) >= 6", timeout=FRAMES_TIMEOUT_MS)
        assert frames(top) == shown_at_top
    finally:
        for stream in live_stack.api("GET", "/api/streams/").body or []:
            if stream["name"].startswith(prefix):
                live_stack.api("DELETE", f"/api/streams/{stream['id']}/")


def test_stream_page_charts_start_with_the_minutes_before_it_was_opened(new_context, live_stack, stream_name):
    """GIVEN a stream that has been running for several seconds with nobody watching
    WHEN its page is opened THEN the charts start at samples taken before the page was opened (from the
    stored history), and live points keep joining them."""
    source = str(live_stack.assets_dir / "traffic_highway.mp4")
    stream = live_stack.api("POST", "/api/streams/", {"name": stream_name, "source": source, "max_fps": 3}).body
    live_stack.wait_for_status(stream["id"], "running", timeout=60)
    wait_until(lambda: len(live_stack.api("GET", f"/api/streams/{stream['id']}/metrics/").body) >= 4, timeout=30,
               what="four stored metrics samples")
    page = _logged_in_page(new_context, live_stack)
    opened_at = time.time()
    page.goto(f"{live_stack.url}/streams/{stream['id']}/")
    page.wait_for_function("() => Number(document.querySelector('#chart-fps').dataset.points) >= 4",
                           timeout=FRAMES_TIMEOUT_MS)
    first_at = float(page.locator("#chart-fps").get_attribute("data-first-at"))
    assert first_at < opened_at - 2
    points = int(page.locator("#chart-fps").get_attribute("data-points"))
    page.wait_for_function(f"() => Number(document.querySelector('#chart-latency').dataset.points) > {points}",
                           timeout=FRAMES_TIMEOUT_MS)
    assert float(page.locator("#chart-latency").get_attribute("data-first-at")) == first_at
