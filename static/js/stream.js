// Live stream page: annotated frames and metrics over a WebSocket, status kept fresh from the API.
//
// Protocol (dashboard/consumers.py): a binary message is one JPEG; the server sends the next frame only
// after our {"type":"ack"}, so a slow browser only ever receives the newest frame. Text messages are JSON
// {"type":"metrics",...} or {"type":"status",...}.
"use strict";

(() => {
  const CLOSE_UNAUTHENTICATED = 4401;
  const CLOSE_NOT_FOUND = 4404;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 10000;
  const STATUS_POLL_MS = 3000;
  const ACK = JSON.stringify({ type: "ack" });

  const page = document.getElementById("stream-page");
  if (!page) return;
  const { setStatus, setControls, goToLogin, getJson, isAuthFailure } = window.StreamVision;
  const canvas = document.getElementById("live-frame");
  const context = canvas.getContext("2d");
  const frameBox = document.getElementById("video-frame");
  const placeholder = document.getElementById("live-placeholder");
  const badge = document.getElementById("stream-status");
  const connection = document.getElementById("connection");
  const connectionText = document.getElementById("connection-text");
  const loginUrl = page.dataset.loginUrl;

  let frames = 0;
  let backoffMs = BACKOFF_MIN_MS;
  let gone = false; // the stream was deleted: stop reconnecting and polling
  let leaving = false; // the page is being left (or parked in the back/forward cache)
  let socket = null;

  // --- Frames ----------------------------------------------------------------------------------------

  async function paintFrame(ws, blob) {
    try {
      const bitmap = await createImageBitmap(blob);
      if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
      }
      context.drawImage(bitmap, 0, 0);
      bitmap.close();
      frames += 1;
      canvas.dataset.frames = String(frames);
      frameBox.dataset.hasFrame = "true";
      refreshPlaceholder();
    } catch (error) {
      console.warn("Skipped a frame that could not be decoded", error);
    } finally {
      // Ack even a bad frame, or the server would wait for us forever.
      sendAck(ws);
    }
  }

  function sendAck(ws) {
    if (ws.readyState === WebSocket.OPEN) ws.send(ACK);
  }

  function refreshPlaceholder() {
    const status = badge.dataset.status;
    const reason = badge.querySelector(".status-reason").textContent;
    const messages = {
      starting: "Starting the stream…",
      stopping: "Stopping…",
      stopped: "The stream is stopped. Press Start to watch it.",
      failed: reason ? `The stream failed: ${reason}` : "The stream failed.",
    };
    if (gone) {
      placeholder.textContent = "This stream no longer exists.";
      placeholder.hidden = false;
      return;
    }
    const idle = status === "stopped" || status === "failed";
    placeholder.hidden = frames > 0 && !idle;
    placeholder.textContent = messages[status] || "Waiting for the first frame…";
  }

  // --- Metrics and status ----------------------------------------------------------------------------

  function formatNumber(value, digits) {
    return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
  }

  function showDetections(detections) {
    const list = document.getElementById("metric-detections");
    const entries = Object.entries(detections || {})
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const top = entries.length ? entries[0][1] : 1;
    list.replaceChildren(
      ...entries.map(([name, count]) => {
        const item = document.createElement("li");
        item.className = "detection";
        item.dataset.class = name;
        const label = document.createElement("span");
        label.className = "detection-name";
        label.textContent = name;
        const value = document.createElement("span");
        value.className = "detection-count";
        value.textContent = String(count);
        const bar = document.createElement("span");
        bar.className = "detection-bar";
        bar.setAttribute("aria-hidden", "true");
        bar.style.setProperty("--share", String(count / top));
        item.append(label, value, bar);
        return item;
      }),
    );
    document.getElementById("metric-detections-empty").hidden = entries.length > 0;
  }

  function showMetrics(metrics) {
    document.getElementById("metric-fps").textContent = formatNumber(metrics.fps, 1);
    document.getElementById("metric-inference-ms").textContent = formatNumber(metrics.inference_ms, 1);
    document.getElementById("metric-frames-total").textContent = (metrics.frames_total ?? 0).toLocaleString();
    const errors = metrics.inference_errors ?? 0;
    const errorsEl = document.getElementById("metric-inference-errors");
    errorsEl.textContent = errors.toLocaleString();
    errorsEl.classList.toggle("is-bad", errors > 0);
    document.getElementById("metric-last-error").textContent = metrics.last_error || "";
    document.getElementById("metric-last-error-box").hidden = !metrics.last_error;
    showDetections(metrics.detections);
  }

  function showStatus(status, reason) {
    setStatus(badge, status, reason);
    setControls(page, { status });
    refreshPlaceholder();
  }

  function onText(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (message.type === "metrics") showMetrics(message);
    else if (message.type === "status") showStatus(message.status, message.reason);
  }

  // --- Connection ------------------------------------------------------------------------------------

  function setConnection(state, text) {
    connection.dataset.state = state;
    connectionText.textContent = text;
  }

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${page.dataset.wsPath}`;
  }

  function connect() {
    if (gone || leaving) return;
    setConnection("connecting", "Connecting…");
    const ws = new WebSocket(socketUrl());
    ws.binaryType = "blob";
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      backoffMs = BACKOFF_MIN_MS;
      setConnection("live", "Connected");
      sendAck(ws); // ready for the first frame
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") onText(event.data);
      else paintFrame(ws, event.data);
    });
    ws.addEventListener("close", (event) => onClose(event, opened));
    socket = ws;
  }

  async function onClose(event, opened) {
    socket = null;
    if (gone || leaving) return;
    if (event.code === CLOSE_UNAUTHENTICATED) {
      goToLogin(loginUrl);
      return;
    }
    if (event.code === CLOSE_NOT_FOUND) {
      markGone();
      return;
    }
    // A refused handshake reaches the browser only as code 1006: ask the API why before retrying.
    if (!opened && !(await checkStream())) return;
    scheduleReconnect();
  }

  function scheduleReconnect() {
    setConnection("reconnecting", `Disconnected. Reconnecting in ${Math.round(backoffMs / 1000)} s…`);
    setTimeout(connect, backoffMs);
    backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
  }

  function markGone() {
    gone = true;
    for (const action of page.querySelectorAll(".stream-action")) action.hidden = true;
    setConnection("gone", "This stream no longer exists.");
    refreshPlaceholder();
  }

  // Returns false when there is no point reconnecting (logged out, or the stream is gone).
  async function checkStream() {
    let response;
    try {
      response = await getJson(page.dataset.apiUrl);
    } catch {
      return true; // server unreachable: keep retrying
    }
    if (isAuthFailure(response)) {
      goToLogin(loginUrl);
      return false;
    }
    if (response.status === 404) {
      markGone();
      return false;
    }
    if (response.ok) {
      const stream = await response.json();
      setControls(page, { desired: stream.desired_state });
      showStatus(stream.status, stream.status_reason);
    }
    return true;
  }

  // Status also arrives over the socket; polling keeps the Start/Stop buttons right and covers reconnects.
  async function pollStatus() {
    if (gone || leaving) return;
    if (!document.hidden && !(await checkStream())) return;
    setTimeout(pollStatus, STATUS_POLL_MS);
  }

  function start() {
    leaving = false;
    refreshPlaceholder();
    connect();
    setTimeout(pollStatus, STATUS_POLL_MS);
  }

  window.addEventListener("pagehide", () => {
    leaving = true;
    if (socket) socket.close(1000, "page closed");
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) start();
  });

  start();
})();
