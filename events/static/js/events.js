// Live events, on the events page, the stream page and the wall: one WebSocket to /ws/events/ says when an
// event starts, changes, ends or is acknowledged. A page's list (#events-live, optionally for one stream)
// reloads its HTML fragment; the wall sets each tile's alert badge to the stream's count of events in
// progress that nobody acknowledged. Reconnects with a backoff; a lost login stops it.
"use strict";

(() => {
  const CLOSE_UNAUTHENTICATED = 4401;
  const RELOAD_DELAY_MS = 250; // several changes at once reload once
  const list = document.getElementById("events-live");
  let reloadTimer = null;
  let backoffMs = 1000;

  function reloadList() {
    if (!list || reloadTimer) return;
    reloadTimer = setTimeout(async () => {
      reloadTimer = null;
      try {
        const response = await fetch(list.dataset.fragmentUrl, { credentials: "same-origin", cache: "no-store" });
        if (response.ok) {
          list.innerHTML = await response.text();
          list.dataset.reloads = String(Number(list.dataset.reloads || 0) + 1);
        }
      } catch (error) {
        // the next change tries again
      }
    }, RELOAD_DELAY_MS);
  }

  function setBadge(streamId, count) {
    const tile = document.querySelector(`.tile[data-stream-id="${streamId}"]`);
    const badge = tile && tile.querySelector("[data-alert-badge]");
    if (!badge) return;
    badge.querySelector(".alert-count").textContent = String(count);
    badge.lastChild.textContent = count === 1 ? " alert" : " alerts";
    badge.hidden = count === 0;
  }

  function onMessage(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch (error) {
      return;
    }
    if (message.type !== "event") return;
    if (typeof message.active_alerts === "number") setBadge(message.stream_id, message.active_alerts);
    const onlyStream = list && list.dataset.streamId;
    if (list && (!onlyStream || Number(onlyStream) === message.stream_id)) reloadList();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/events/`);
    ws.addEventListener("open", () => {
      backoffMs = 1000;
      document.body.dataset.eventsSocket = "live";
    });
    ws.addEventListener("message", (event) => onMessage(event.data));
    ws.addEventListener("close", (event) => {
      document.body.dataset.eventsSocket = "closed";
      if (event.code === CLOSE_UNAUTHENTICATED) return;
      setTimeout(connect, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 10000);
    });
  }

  connect();
})();
