// Shared by the wall, the stream page and the forms: badges, controls, placeholders, the login redirect,
// delete confirmation, and FrameSocket (the live-frame WebSocket with its ack protocol and reconnects).
"use strict";

window.StreamVision = (() => {
  const CLOSE_UNAUTHENTICATED = 4401;
  const CLOSE_FORBIDDEN = 4403; // logged in, but in no role that may watch: retrying cannot help
  const CLOSE_NOT_FOUND = 4404;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 10000;
  // What the browser says to /ws/streams/<id>/, and what it hears: typed once in streams/messages.py (Browser*).
  const ACK = JSON.stringify({ type: "ack" });
  const frameSwitch = (on) => JSON.stringify({ type: "frames", on });

  function setStatus(el, status, reason) {
    if (!el || !status) return;
    el.dataset.status = status;
    el.querySelector(".badge-label").textContent = status;
    const reasonEl = el.querySelector(".status-reason");
    if (!reasonEl) return;
    reasonEl.textContent = reason || "";
    reasonEl.hidden = !reason;
  }

  // Which commands make sense: Start when the operator wants the stream stopped (or as a retry after a
  // failure), Stop unless it is stopped, Pause/Restart while it should run, Resume while paused.
  function setControls(root, { desired, status } = {}) {
    if (desired) root.dataset.desiredState = desired;
    if (status) root.dataset.lastStatus = status;
    const want = root.dataset.desiredState;
    const failed = root.dataset.lastStatus === "failed";
    const shown = {
      start: want === "stopped" || failed,
      stop: want !== "stopped",
      pause: want === "running" && !failed,
      resume: want === "paused",
      restart: want === "running",
    };
    for (const form of root.querySelectorAll("form[data-control]")) {
      form.hidden = !shown[form.dataset.control];
    }
  }

  // Frames stopped (any status but running): the last picture must not pass for a live one. Blank the canvas
  // so the placeholder shows, until a new frame arrives.
  function clearPicture(canvas, box) {
    if (box.dataset.hasFrame !== "true") return;
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    box.dataset.hasFrame = "false";
  }

  // What a video area says instead of (or over) the picture; null while frames should be shown.
  function placeholderText(status, reason, retryInS) {
    switch (status) {
      case "running":
        return null;
      case "starting":
        return reason ? `Starting… ${reason}` : "Starting…";
      case "reconnecting":
        return reason ? `Reconnecting to the source… ${reason}` : "Reconnecting to the source…";
      case "paused":
        return "Paused";
      case "stopping":
        return "Stopping…";
      case "stopped":
        return "Stopped";
      case "failed": {
        const retry = typeof retryInS === "number" ? ` Retrying in ${Math.ceil(retryInS)} s.` : "";
        return `Failed: ${reason || "unknown error"}.${retry}`;
      }
      default:
        return "Waiting for the first frame…";
    }
  }

  // A failed stream's "retry in N s" arrives once; keep it as a deadline so the placeholder counts down.
  function retryDeadline(retryInS) {
    return typeof retryInS === "number" ? String(Date.now() + retryInS * 1000) : "";
  }

  function secondsUntil(deadline) {
    return deadline ? Math.max(0, (Number(deadline) - Date.now()) / 1000) : null;
  }

  function goToLogin(loginUrl) {
    const next = location.pathname + location.search;
    location.assign(`${loginUrl}?next=${encodeURIComponent(next)}`);
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function postForm(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body,
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
  }

  function isAuthFailure(response) {
    // DRF answers 403, not 401, to a request without a session.
    return response.status === 401 || response.status === 403;
  }

  function socketUrl(path) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${path}`;
  }

  // One stream's frames and metrics. The server sends a frame only after our ack, so a busy browser only
  // ever gets the newest frame; we ack after painting. Reconnects with backoff until close() is called.
  class FrameSocket {
    constructor(path, handlers) {
      this.path = path;
      // onFrame(blob) -> Promise, onMetrics, onStatus, onConnection(state), onGone, onAuth, shouldRetry,
      // minFrameIntervalMs (a frame-rate cap: wall tiles ask for less than the stream page),
      // framesWanted (false: start with frames off, e.g. a tile not yet known to be on screen)
      this.handlers = handlers;
      this.framesWanted = handlers.framesWanted ?? true;
      this.backoffMs = BACKOFF_MIN_MS;
      this.closed = false;
      this.ws = null;
      this.timer = null;
    }

    open() {
      if (this.closed || this.ws) return;
      this.handlers.onConnection?.("connecting");
      const ws = new WebSocket(socketUrl(this.path));
      ws.binaryType = "blob";
      let opened = false;
      ws.addEventListener("open", () => {
        opened = true;
        this.backoffMs = BACKOFF_MIN_MS;
        this.handlers.onConnection?.("live");
        if (!this.framesWanted) ws.send(frameSwitch(false));
        this.ack(ws); // ready for the first frame
      });
      ws.addEventListener("message", (event) => this.onMessage(ws, event.data));
      ws.addEventListener("close", (event) => this.onClose(event, opened));
      this.ws = ws;
    }

    ack(ws) {
      if (ws.readyState === WebSocket.OPEN) ws.send(ACK);
    }

    // Frames off while nobody can see them (a tile scrolled away, a hidden tab): the server stops sending
    // them and, once no viewer of that size is left, the worker stops drawing and encoding them. Metrics
    // and status keep coming.
    setFramesWanted(wanted) {
      if (wanted === this.framesWanted) return;
      this.framesWanted = wanted;
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return; // open() tells the server
      ws.send(frameSwitch(wanted));
      if (wanted) this.ack(ws);
    }

    async onMessage(ws, data) {
      if (typeof data !== "string") {
        try {
          await this.handlers.onFrame?.(data);
        } catch (error) {
          console.warn("Skipped a frame that could not be shown", error);
        } finally {
          // Even after a bad frame, or the server would wait for us forever. Acking later lowers the rate:
          // the server holds only the newest frame meanwhile.
          const wait = (this.handlers.minFrameIntervalMs || 0) - (performance.now() - (this.lastFrameAt || 0));
          this.lastFrameAt = performance.now() + Math.max(wait, 0);
          if (wait > 0) setTimeout(() => this.ack(ws), wait);
          else this.ack(ws);
        }
        return;
      }
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      if (message.type === "metrics") this.handlers.onMetrics?.(message);
      else if (message.type === "status") this.handlers.onStatus?.(message);
      else if (message.type === "analytics") this.handlers.onAnalytics?.(message);
    }

    async onClose(event, opened) {
      this.ws = null;
      if (this.closed) return;
      if (event.code === CLOSE_UNAUTHENTICATED) return this.handlers.onAuth?.();
      if (event.code === CLOSE_FORBIDDEN) return this.handlers.onConnection?.("forbidden");
      if (event.code === CLOSE_NOT_FOUND) return this.handlers.onGone?.();
      // A refused handshake reaches the browser only as code 1006: let the page ask the API why.
      if (!opened && this.handlers.shouldRetry && !(await this.handlers.shouldRetry())) return;
      this.handlers.onConnection?.("reconnecting", this.backoffMs);
      this.timer = setTimeout(() => this.open(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    }

    close() {
      this.closed = true;
      clearTimeout(this.timer);
      if (this.ws) this.ws.close(1000, "closed by the page");
    }
  }

  // Paints a JPEG blob on a canvas, resizing the canvas to the picture.
  async function paintBlob(canvas, blob) {
    const bitmap = await createImageBitmap(blob);
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
    }
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    bitmap.close();
    canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
  }

  function formatNumber(value, digits) {
    return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
  }

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  return {
    setStatus, setControls, clearPicture, placeholderText, retryDeadline, secondsUntil, goToLogin, getJson, postForm, isAuthFailure, socketUrl,
    FrameSocket, paintBlob, formatNumber,
  };
})();
