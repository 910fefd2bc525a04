// Stream page: full-size annotated frames and metrics over a WebSocket (see common.js FrameSocket), live
// charts of the last minutes (uPlot, installed by npm), per-class counts, the event log and live settings.
"use strict";

(() => {
  const STATUS_POLL_MS = 3000;
  const EVENTS_POLL_MS = 10000;
  const WINDOW_S = 300; // the charts show the last five minutes
  const PALETTE = ["#60a5fa", "#f59e0b", "#22c55e", "#f472b6", "#a78bfa", "#2dd4bf", "#f87171", "#facc15"];

  const page = document.getElementById("stream-page");
  if (!page) return;
  const SV = window.StreamVision;
  const canvas = document.getElementById("live-frame");
  const frameBox = document.getElementById("video-frame");
  const placeholder = document.getElementById("live-placeholder");
  const badge = document.getElementById("stream-status");
  const connection = document.getElementById("connection");
  const connectionText = document.getElementById("connection-text");
  const loginUrl = page.dataset.loginUrl;
  let gone = false; // the stream was deleted: stop reconnecting and polling
  let socket = null;

  // --- Video and status ------------------------------------------------------------------------------

  function refreshPlaceholder() {
    if (gone) {
      placeholder.textContent = "This stream no longer exists.";
      placeholder.hidden = false;
      return;
    }
    const reason = badge.querySelector(".status-reason").textContent;
    const text = SV.placeholderText(badge.dataset.status, reason, SV.secondsUntil(page.dataset.retryAt));
    placeholder.hidden = text === null && frameBox.dataset.hasFrame === "true";
    placeholder.textContent = text ?? "Waiting for the first frame…";
  }

  function showStatus(message) {
    const changed = badge.dataset.status !== message.status;
    if (message.status && message.status !== "running") {
      SV.clearPicture(canvas, frameBox);
      showDetections({});
    }
    SV.setStatus(badge, message.status, message.reason);
    SV.setControls(page, { desired: message.desired_state, status: message.status });
    page.dataset.retryAt = SV.retryDeadline(message.retry_in_s);
    refreshPlaceholder();
    if (changed) refreshEvents();
  }

  function setConnection(state, backoffMs) {
    const texts = {
      connecting: "Connecting…",
      live: "Connected",
      reconnecting: `Disconnected. Reconnecting in ${Math.round((backoffMs || 0) / 1000)} s…`,
      gone: "This stream no longer exists.",
      forbidden: "Your account may not watch streams: ask an admin for a role.",
    };
    connection.dataset.state = state;
    connectionText.textContent = texts[state] || state;
  }

  // --- Metrics, counts and charts --------------------------------------------------------------------

  function showDetections(detections) {
    const list = document.getElementById("metric-detections");
    const entries = Object.entries(detections || {})
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const top = entries.length ? entries[0][1] : 1;
    list.replaceChildren(...entries.map(([name, n]) => detectionItem(name, n, top)));
    document.getElementById("metric-detections-empty").hidden = entries.length > 0;
  }

  function detectionItem(name, n, top) {
    const item = document.createElement("li");
    item.className = "detection";
    item.dataset.class = name;
    const label = Object.assign(document.createElement("span"), { className: "detection-name", textContent: name });
    const value = Object.assign(document.createElement("span"), { className: "detection-count", textContent: n });
    const bar = Object.assign(document.createElement("span"), { className: "detection-bar" });
    bar.setAttribute("aria-hidden", "true");
    bar.style.setProperty("--share", String(n / top));
    item.append(label, value, bar);
    return item;
  }

  function showMetrics(metrics) {
    document.getElementById("metric-fps").textContent = SV.formatNumber(metrics.fps, 1);
    document.getElementById("metric-inference-ms").textContent = SV.formatNumber(metrics.inference_ms, 1);
    document.getElementById("metric-frames-total").textContent = (metrics.frames_total ?? 0).toLocaleString();
    const errors = metrics.inference_errors ?? 0;
    const errorsEl = document.getElementById("metric-inference-errors");
    errorsEl.textContent = errors.toLocaleString();
    errorsEl.classList.toggle("is-bad", errors > 0);
    document.getElementById("metric-last-error").textContent = metrics.last_error || "";
    document.getElementById("metric-last-error-box").hidden = !metrics.last_error;
    // Counts are of the latest frame: none while frames are not flowing (the charts keep the history).
    showDetections(badge.dataset.status === "running" ? metrics.detections : {});
    charts.add(metrics);
  }

  // Three uPlot charts over the last five minutes; the detections chart grows a series per class it meets.
  const charts = (() => {
    if (typeof window.uPlot !== "function") {
      console.warn("uPlot is not loaded (run `make npm`); charts are off");
      return { add() {} };
    }
    const points = []; // { at, fps, latency, counts }, oldest first: live samples and the stored history
    const classNames = [];
    const fpsChart = makeChart("chart-fps", [{ label: "fps", stroke: PALETTE[0], width: 2 }]);
    const latencyChart = makeChart("chart-latency", [{ label: "ms", stroke: PALETTE[1], width: 2 }]);
    const detectionsChart = makeChart("chart-detections", []);

    function makeChart(id, series) {
      const el = document.getElementById(id);
      const opts = {
        width: Math.max(el.clientWidth, 240), height: 180,
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [{ ...axis(), space: 80, values: (u, splits) => splits.map(clockTime) }, axis()],
        series: [{}, ...series],
      };
      const chart = new window.uPlot(opts, [[], ...series.map(() => [])], el);
      new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 240), height: 180 })).observe(el);
      chart.el = el;
      return chart;
    }

    function clockTime(seconds) {
      return new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
    }

    function axis() {
      return { stroke: "#8d9aab", grid: { stroke: "rgb(255 255 255 / 0.06)" }, ticks: { stroke: "#283443" } };
    }

    // Samples carry the worker's time (`at`); history and live messages overlap, so equal times are one point.
    function add(...samples) {
      for (const sample of samples) {
        const at = typeof sample.at === "number" ? sample.at : Date.now() / 1000;
        if (points.some((point) => point.at === at)) continue;
        const failing = sample.inference_errors && !sample.inference_ms;
        const point = { at, fps: sample.fps ?? null, latency: failing ? null : sample.inference_ms ?? null,
                        counts: sample.detections || {} };
        let index = points.length;
        while (index > 0 && points[index - 1].at > at) index -= 1;
        points.splice(index, 0, point);
        for (const name of Object.keys(point.counts)) if (!classNames.includes(name)) addClass(name);
      }
      const newest = points.length ? points[points.length - 1].at : 0;
      while (points.length && points[0].at < newest - WINDOW_S) points.shift();
      render();
    }

    function render() {
      const times = points.map((point) => point.at);
      fpsChart.setData([times, points.map((point) => point.fps)]);
      latencyChart.setData([times, points.map((point) => point.latency)]);
      // A class absent from a sample counts 0 there (it was not seen in that frame).
      const perClass = classNames.map((name) => points.map((point) => point.counts[name] ?? 0));
      detectionsChart.setData([times, ...perClass]);
      for (const chart of [fpsChart, latencyChart, detectionsChart]) {
        chart.el.dataset.points = String(times.length);
        chart.el.dataset.firstAt = times.length ? String(times[0]) : "";
      }
    }

    function addClass(name) {
      classNames.push(name);
      const color = PALETTE[(classNames.length - 1) % PALETTE.length];
      detectionsChart.addSeries({ label: name, stroke: color, width: 2 }, classNames.length);
      detectionsChart.el.dataset.classes = classNames.join(",");
    }

    return { add };
  })();

  // --- Event log and live settings -------------------------------------------------------------------

  async function refreshEvents() {
    try {
      const response = await fetch(page.dataset.eventsUrl, { credentials: "same-origin", cache: "no-store" });
      if (response.ok && !response.redirected) document.getElementById("event-log").innerHTML = await response.text();
    } catch {
      // the next refresh tries again
    }
  }

  function setupSettingsForm() {
    const form = document.getElementById("live-settings");
    if (!form) return; // a viewer's page has no settings form
    const result = document.getElementById("live-settings-result");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      result.textContent = "Applying…";
      for (const list of form.querySelectorAll(".field-errors")) list.hidden = true;
      for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
      let response;
      try {
        response = await SV.postForm(form.action, new FormData(form));
      } catch {
        result.textContent = "Could not reach the server; nothing was changed.";
        return;
      }
      const body = await response.json().catch(() => ({}));
      if (response.ok && body.ok) {
        result.textContent = "Applied.";
        refreshEvents();
        return;
      }
      result.textContent = "Not applied: please correct the fields marked.";
      showFieldErrors(form, body.errors || {});
    });
  }

  function showFieldErrors(form, errors) {
    for (const [field, messages] of Object.entries(errors)) {
      const box = form.querySelector(`[data-field="${field}"]`) || form;
      const list = box.querySelector(".field-errors") || form.querySelector(".field-errors");
      list.replaceChildren(...messages.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
      list.hidden = false;
      box.querySelector("input")?.setAttribute("aria-invalid", "true");
    }
  }

  // --- Connection and polling ------------------------------------------------------------------------

  function markGone() {
    gone = true;
    for (const action of page.querySelectorAll(".stream-action")) action.hidden = true;
    setConnection("gone");
    refreshPlaceholder();
  }

  // Returns false when there is no point reconnecting (logged out, or the stream is gone).
  async function checkStream() {
    let response;
    try {
      response = await SV.getJson(page.dataset.apiUrl);
    } catch {
      return true; // server unreachable: keep retrying
    }
    if (SV.isAuthFailure(response)) {
      SV.goToLogin(loginUrl);
      return false;
    }
    if (response.status === 404) {
      markGone();
      return false;
    }
    if (response.ok) {
      const stream = await response.json();
      showStatus({ ...stream, reason: stream.status_reason });
    }
    return true;
  }

  async function pollStatus() {
    if (gone || !socket) return;
    if (!document.hidden && !(await checkStream())) return;
    setTimeout(pollStatus, STATUS_POLL_MS);
  }

  async function pollEvents() {
    if (gone || !socket) return;
    if (!document.hidden) await refreshEvents();
    setTimeout(pollEvents, EVENTS_POLL_MS);
  }

  // The charts start with the last five minutes the worker stored, not empty; live points join them.
  async function loadHistory() {
    try {
      const response = await SV.getJson(page.dataset.metricsUrl);
      if (response.ok && !response.redirected) charts.add(...(await response.json()));
    } catch {
      // no history: the live points still come
    }
  }

  function start() {
    refreshPlaceholder();
    loadHistory();
    socket = new SV.FrameSocket(page.dataset.wsPath, {
      onFrame: async (blob) => {
        await SV.paintBlob(canvas, blob);
        frameBox.dataset.hasFrame = "true";
        refreshPlaceholder();
      },
      onMetrics: showMetrics,
      onStatus: showStatus,
      // The counters panel (counters.js) listens: zones and lines live in their own scripts.
      onAnalytics: (message) => page.dispatchEvent(new CustomEvent("stream:analytics", { detail: message })),
      onConnection: setConnection,
      onGone: markGone,
      onAuth: () => SV.goToLogin(loginUrl),
      shouldRetry: checkStream,
      framesWanted: document.visibilityState === "visible",
    });
    socket.open();
    setTimeout(pollStatus, STATUS_POLL_MS);
    setTimeout(pollEvents, EVENTS_POLL_MS);
  }

  // A hidden tab needs no frames (the worker stops encoding them if nobody else watches); metrics keep
  // the charts going.
  document.addEventListener("visibilitychange", () => socket?.setFramesWanted(document.visibilityState === "visible"));
  window.addEventListener("pagehide", () => {
    if (socket) socket.close();
    socket = null;
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) start();
  });

  page.dataset.retryAt = SV.retryDeadline(page.dataset.retryInS === "" ? null : Number(page.dataset.retryInS));
  setInterval(() => {
    if (page.dataset.retryAt) refreshPlaceholder();
  }, 1000);
  setupSettingsForm();
  start();
})();
