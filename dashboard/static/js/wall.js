// The wall: every stream as a live tile (reduced size), with its badge, fps and detections now.
//
// Each tile has its own frame socket (/ws/streams/<id>/?size=tile), with frames only while it is on screen
// (status and metrics always). Tiles appear and disappear live: the
// list socket (/ws/streams/) says when a stream was created or deleted anywhere (another browser, the API,
// the admin), and a slow poll of the API reconciles whatever a dropped socket missed.
"use strict";

(() => {
  const RECONCILE_MS = 5000;
  const TILE_FRAME_INTERVAL_MS = 200; // tiles show at most 5 fps
  const wall = document.getElementById("wall");
  if (!wall) return;
  const SV = window.StreamVision;
  const list = document.getElementById("stream-list");
  const empty = document.getElementById("wall-empty");
  const count = document.getElementById("stream-count");
  const loginUrl = wall.dataset.loginUrl;
  const tiles = new Map(); // stream id -> { el, socket, onScreen }
  const loading = new Set();
  let leaving = false;

  // --- Frames only for tiles someone can see -------------------------------------------------------------
  // A wall of many cameras shows a few at a time: tiles off screen (with a margin, so scrolling finds a
  // fresh picture) or in a hidden tab get status and metrics only, and workers stop encoding for them.

  function updateFramesWanted(entry) {
    entry.socket.setFramesWanted(entry.onScreen && document.visibilityState === "visible");
  }

  const onScreen = new IntersectionObserver(
    (changes) => {
      for (const change of changes) {
        const entry = tiles.get(change.target.dataset.streamId);
        if (!entry) continue;
        entry.onScreen = change.isIntersecting;
        change.target.dataset.onScreen = String(change.isIntersecting);
        updateFramesWanted(entry);
      }
    },
    { rootMargin: "200px 0px" },
  );

  document.addEventListener("visibilitychange", () => {
    for (const entry of tiles.values()) updateFramesWanted(entry);
  });

  // --- One tile --------------------------------------------------------------------------------------

  function refreshPlaceholder(tile) {
    const status = tile.querySelector(".status");
    const box = tile.querySelector(".tile-video");
    const placeholder = tile.querySelector(".tile-placeholder");
    const reason = status.querySelector(".status-reason").textContent;
    const text = SV.placeholderText(status.dataset.status, reason, SV.secondsUntil(placeholder.dataset.retryAt));
    const hasFrame = box.dataset.hasFrame === "true";
    placeholder.hidden = text === null && hasFrame;
    placeholder.textContent = text ?? "Waiting for the first frame…";
    tile.dataset.placeholder = placeholder.hidden ? "" : status.dataset.status;
  }

  function showStatus(tile, message) {
    if (message.status && message.status !== "running") {
      SV.clearPicture(tile.querySelector(".tile-frame"), tile.querySelector(".tile-video"));
      tile.querySelector(".tile-detections").textContent = "–";
      tile.querySelector(".tile-fps").textContent = "–";
    }
    SV.setStatus(tile.querySelector(".status"), message.status, message.reason);
    SV.setControls(tile, { desired: message.desired_state, status: message.status });
    const placeholder = tile.querySelector(".tile-placeholder");
    placeholder.dataset.retryAt = SV.retryDeadline(message.retry_in_s);
    refreshPlaceholder(tile);
  }

  function showMetrics(tile, metrics) {
    if (tile.querySelector(".status").dataset.status !== "running") return; // no frames: nothing is detected now
    tile.querySelector(".tile-fps").textContent = SV.formatNumber(metrics.fps, 1);
    const entries = Object.entries(metrics.detections || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    const total = entries.reduce((sum, [, n]) => sum + n, 0);
    const top = entries.slice(0, 3).map(([name, n]) => `${n} ${name}`).join(", ");
    tile.querySelector(".tile-detections").textContent = total ? `${total} (${top})` : "0";
  }

  // Who is inside the stream's zones now (analytics messages), e.g. "3 Lane A · 1 Door".
  function showOccupancy(tile, message) {
    const zones = message.zones || [];
    const box = tile.querySelector(".tile-occupancy-box");
    if (!box) return;
    box.hidden = zones.length === 0;
    const parts = zones.map((zone) => `${Object.values(zone.occupancy || {}).reduce((a, b) => a + b, 0)} ${zone.name}`);
    tile.querySelector(".tile-occupancy").textContent = parts.join(" · ");
  }

  function attach(tile) {
    const id = tile.dataset.streamId;
    const canvas = tile.querySelector(".tile-frame");
    const box = tile.querySelector(".tile-video");
    const socket = new SV.FrameSocket(tile.dataset.wsPath, {
      onFrame: async (blob) => {
        await SV.paintBlob(canvas, blob);
        box.dataset.hasFrame = "true";
        refreshPlaceholder(tile);
      },
      onMetrics: (metrics) => showMetrics(tile, metrics),
      onAnalytics: (message) => showOccupancy(tile, message),
      onStatus: (message) => showStatus(tile, message),
      onGone: () => removeTile(id),
      onAuth: () => SV.goToLogin(loginUrl),
      minFrameIntervalMs: TILE_FRAME_INTERVAL_MS,
      framesWanted: false, // until the visibility observer says the tile is on screen
    });
    tiles.set(id, { el: tile, socket, onScreen: false });
    onScreen.observe(tile);
    const placeholder = tile.querySelector(".tile-placeholder");
    const retryInS = placeholder.dataset.retryInS;
    placeholder.dataset.retryAt = SV.retryDeadline(retryInS === "" ? null : Number(retryInS));
    refreshPlaceholder(tile);
    socket.open();
  }

  function removeTile(id) {
    const entry = tiles.get(id);
    if (!entry) return;
    onScreen.unobserve(entry.el);
    entry.socket.close();
    entry.el.remove();
    tiles.delete(id);
    updateCount();
  }

  async function addTile(id) {
    if (tiles.has(id) || loading.has(id)) return;
    loading.add(id);
    try {
      const response = await fetch(wall.dataset.tileUrl.replace("/0/", `/${id}/`), { credentials: "same-origin" });
      if (response.redirected && response.url.includes(loginUrl)) return SV.goToLogin(loginUrl);
      if (!response.ok || tiles.has(id)) return;
      const holder = document.createElement("template");
      holder.innerHTML = (await response.text()).trim();
      const tile = holder.content.querySelector(".tile");
      insertSorted(tile);
      attach(tile);
      updateCount();
    } finally {
      loading.delete(id);
    }
  }

  function insertSorted(tile) {
    const after = [...list.children].find((other) => other.dataset.name > tile.dataset.name);
    list.insertBefore(tile, after || null);
  }

  function updateCount() {
    const n = tiles.size;
    count.textContent = `${n} stream${n === 1 ? "" : "s"}`;
    empty.hidden = n > 0;
  }

  // --- Which tiles exist ------------------------------------------------------------------------------

  async function reconcile() {
    let response;
    try {
      response = await SV.getJson(wall.dataset.apiUrl);
    } catch {
      return; // server unreachable; the next round retries
    }
    if (SV.isAuthFailure(response)) return SV.goToLogin(loginUrl);
    if (!response.ok) return;
    const payload = await response.json();
    const streams = Array.isArray(payload) ? payload : payload.results || [];
    const ids = new Set(streams.map((stream) => String(stream.id)));
    for (const id of [...tiles.keys()]) if (!ids.has(id)) removeTile(id);
    for (const stream of streams) {
      const id = String(stream.id);
      if (!tiles.has(id)) addTile(id);
      else showStatus(tiles.get(id).el, { ...stream, reason: stream.status_reason });
    }
  }

  function listenForChanges() {
    const changes = new SV.FrameSocket(wall.dataset.wsPath, {
      onAuth: () => SV.goToLogin(loginUrl),
      onConnection: (state) => {
        if (state === "live") reconcile(); // catch up on whatever happened while disconnected
      },
    });
    // The list socket carries only JSON {"type": "changed"}: hook its raw messages.
    changes.onMessage = (ws, data) => {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      if (message.type !== "changed") return;
      const id = String(message.stream_id);
      if (message.change === "deleted") removeTile(id);
      else if (!tiles.has(id)) addTile(id);
    };
    changes.ack = () => {};
    changes.open();
    return changes;
  }

  async function reconcileForever() {
    if (leaving) return;
    if (!document.hidden) await reconcile();
    setTimeout(reconcileForever, RECONCILE_MS);
  }

  // Tile commands go by fetch: a wall keeps its sockets; the new state arrives over the tile's socket.
  list.addEventListener("submit", async (event) => {
    const form = event.target;
    const tile = form.closest(".tile");
    if (!tile || event.defaultPrevented) return;
    event.preventDefault();
    try {
      const response = await SV.postForm(form.action, new FormData(form));
      if (response.redirected && response.url.includes(loginUrl)) return SV.goToLogin(loginUrl);
      const answer = await response.json();
      SV.setControls(tile, { desired: answer.desired_state, status: answer.status });
      SV.setStatus(tile.querySelector(".status"), answer.status, "");
      refreshPlaceholder(tile);
    } catch {
      form.submit(); // fall back to the plain form post
    }
  });

  for (const tile of list.querySelectorAll(".tile")) attach(tile);
  setInterval(() => {
    for (const { el } of tiles.values()) {
      if (el.querySelector(".tile-placeholder").dataset.retryAt) refreshPlaceholder(el);
    }
  }, 1000);
  updateCount();
  const changes = listenForChanges();
  setTimeout(reconcileForever, RECONCILE_MS);

  window.addEventListener("pagehide", () => {
    leaving = true;
    changes.close();
    for (const { socket } of tiles.values()) socket.close();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload(); // back/forward cache: sockets were closed, start over
  });
})();
