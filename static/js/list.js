// Stream list: refreshes every card's badge and Start/Stop button from the API every 2 s.
"use strict";

(() => {
  const POLL_MS = 2000;
  const list = document.getElementById("stream-list");
  if (!list) return;
  const { setStatus, setControls, goToLogin, getJson, isAuthFailure } = window.StreamVision;
  const cards = new Map([...list.querySelectorAll("[data-stream-id]")].map((card) => [card.dataset.streamId, card]));
  const changedNotice = document.getElementById("list-changed");

  function apply(payload) {
    const streams = Array.isArray(payload) ? payload : payload.results || [];
    const seen = new Set();
    for (const stream of streams) {
      const id = String(stream.id);
      seen.add(id);
      const card = cards.get(id);
      if (!card) continue;
      setStatus(card.querySelector(".status"), stream.status, stream.status_reason);
      setControls(card, { desired: stream.desired_state, status: stream.status });
    }
    // New or deleted streams need server-rendered cards: offer a reload rather than yank the page away.
    const changed = seen.size !== cards.size || [...cards.keys()].some((id) => !seen.has(id));
    changedNotice.hidden = !changed;
  }

  async function poll() {
    if (!document.hidden) {
      try {
        const response = await getJson(list.dataset.apiUrl);
        if (isAuthFailure(response)) {
          goToLogin(list.dataset.loginUrl);
          return;
        }
        if (response.ok) apply(await response.json());
      } catch (error) {
        console.debug("Stream list refresh failed; retrying", error);
      }
    }
    setTimeout(poll, POLL_MS);
  }

  setTimeout(poll, POLL_MS);
})();
