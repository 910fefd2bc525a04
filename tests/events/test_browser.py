"""A real Chromium on the events page and the wall while a stream goes down: the new event appears without a
reload, and the stream's tile gets its alert badge (both over /ws/events/)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.events.live import dead_camera, make_rule, make_stream

pytestmark = [pytest.mark.browser, pytest.mark.stack]

LIVE_TIMEOUT_MS = 30_000


def _log_in(page: Page, live_stack) -> None:
    page.goto(live_stack.url + "/accounts/login/")
    page.get_by_label("Username").fill(live_stack.admin_username)
    page.get_by_label("Password").fill(live_stack.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Streams", exact=True)).to_be_visible()


def test_a_new_event_appears_live_on_the_events_page_and_badges_its_wall_tile(page: Page, new_context, live_stack):
    """GIVEN the events page and the wall open in two tabs, and a stream with a "goes down" rule WHEN the stream
    is started on a camera that does not answer THEN its down event appears on the events page without a
    reload, and its tile on the wall shows "1 alert"; acknowledged on its page, the badge goes."""
    stream_id = make_stream(live_stack, "events-browser", dead_camera())
    try:
        make_rule(live_stack, stream_id, name="camera down", kind="stream_down")
        _log_in(page, live_stack)
        wall = page.context.new_page()
        wall.goto(live_stack.url + "/")
        page.goto(live_stack.url + "/events/")
        expect(page.locator("body")).to_have_attribute("data-events-socket", "live")
        expect(wall.locator("body")).to_have_attribute("data-events-socket", "live")
        live_stack.api("POST", f"/api/streams/{stream_id}/start/")
        row = page.locator(".event-row", has_text="camera down")
        expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(row.locator(".pill-bad")).to_have_text("in progress")
        badge = wall.locator(f'.tile[data-stream-id="{stream_id}"] [data-alert-badge]')
        expect(badge).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(badge).to_have_text(re.compile(r"^\s*1 alert\s*$"))
        row.locator("a.event-title").click()
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("Acknowledged by admin").first).to_be_visible()
        expect(badge).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    finally:
        live_stack.api("DELETE", f"/api/streams/{stream_id}/")


def test_the_rule_form_shows_the_kind_s_fields_and_refuses_a_zone_of_another_stream(page: Page, live_stack):
    """GIVEN two streams, each with a zone WHEN an admin picks "Zone overcrowded" on the new-rule page THEN the
    zone and the number show and the line does not; WHEN sent with the other stream's zone THEN the page says so
    and no rule is stored; with the stream's own zone the rules list shows it."""
    square = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
    ids = [make_stream(live_stack, f"rules-form-{n}", dead_camera()) for n in (1, 2)]
    zones = [live_stack.api("POST", f"/api/streams/{sid}/zones/", {"name": f"zone {n}", "points": square}).body
             for n, sid in enumerate(ids, 1)]  # fmt: skip
    try:
        _log_in(page, live_stack)
        page.goto(live_stack.url + f"/events/rules/new/?stream={ids[0]}")
        expect(page.locator('[data-field="zone"]')).to_be_visible()  # an object rule, optionally in a zone
        expect(page.locator('[data-field="line"]')).to_be_hidden()
        page.get_by_label("Kind").select_option("line_crossed")
        expect(page.locator('[data-field="line"]')).to_be_visible()
        expect(page.locator('[data-field="max_occupancy"]')).to_be_hidden()
        page.get_by_label("Kind").select_option("overcrowded")
        expect(page.locator('[data-field="line"]')).to_be_hidden()
        expect(page.locator('[data-field="max_occupancy"]')).to_be_visible()
        page.get_by_label("Name").fill("crowd")
        page.get_by_label("Zone").select_option(label=f"rules-form-2: {zones[1]['name']}")
        page.get_by_label("Overcrowded above (objects)").fill("3")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("belongs to another stream")).to_be_visible()
        assert not [r for r in live_stack.api("GET", f"/api/event-rules/?stream={ids[0]}").body if r["name"] == "crowd"]
        page.get_by_label("Zone").select_option(label=f"rules-form-1: {zones[0]['name']}")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#rules-table")).to_contain_text("more than 3")
    finally:
        for stream_id in ids:
            live_stack.api("DELETE", f"/api/streams/{stream_id}/")
