// Stream page: the live counters of the stream's zones and lines (from the worker's analytics messages, about
// once a second), counts per minute over the last hour (uPlot, from /api/streams/<id>/counts/), the tracking
// and traces switches, the reset button, and the warning when the stream is too slow to track.
"use strict";

(() => {
  const CHART_REFRESH_MS = 15000;
  const page = document.getElementById("stream-page");
  const panel = document.getElementById("analytics-panel");
  if (!page || !panel || !window.Analytics) return;
  const { sendJson, reload } = window.Analytics;
  const warning = document.getElementById("tracking-warning");
  const trackingOff = document.getElementById("tracking-off");
  let reloading = false;

  // --- Live counters ----------------------------------------------------------------------------------------

  function total(byClass) {
    return Object.values(byClass || {}).reduce((sum, n) => sum + n, 0);
  }

  function show(cell, byClass, text) {
    if (!cell) return;
    const entries = Object.entries(byClass || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    cell.dataset.total = String(total(byClass));
    cell.replaceChildren(document.createTextNode(text ?? cell.dataset.total));
    if (entries.length) {
      const detail = entries.map(([name, n]) => `${n} ${name}`).join(" · ");
      cell.append(Object.assign(document.createElement("span"), { className: "by-class", textContent: detail }));
    }
  }

  function duration(seconds) {
    if (!seconds) return "–";
    const s = Math.round(seconds);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  }

  function row(kind, id) {
    return panel.querySelector(`tr[data-kind="${kind}"][data-id="${id}"]`);
  }

  function showAnalytics(message) {
    let unknown = false;
    for (const line of message.lines || []) {
      const tr = row("line", line.id);
      if (!tr) { unknown = true; continue; }
      show(tr.querySelector(".count-in"), line.counts.in);
      show(tr.querySelector(".count-out"), line.counts.out);
    }
    for (const zone of message.zones || []) {
      const tr = row("zone", zone.id);
      if (!tr) { unknown = true; continue; }
      show(tr.querySelector(".occupancy"), zone.occupancy);
      show(tr.querySelector(".entries"), zone.counts.enter);
      show(tr.querySelector(".exits"), zone.counts.exit);
      const dwell = tr.querySelector(".dwell");
      dwell.textContent = duration(zone.longest_dwell_s);
      dwell.dataset.seconds = String(zone.longest_dwell_s || 0);
    }
    if (unknown && !reloading) {  // a shape added elsewhere (another browser, the API, the admin)
      reloading = true;
      reload().finally(() => { reloading = false; });
    }
    trackingOff.hidden = message.tracking;
    warning.hidden = !message.tracking_fps_low;
    if (message.tracking_fps_low) {
      warning.textContent = `This stream processes ${message.tracking_fps.toFixed(1)} fps; tracking needs at least `
        + `${panel.dataset.minFps} fps, so objects are lost between frames and counts are unreliable.`;
    }
  }

  page.addEventListener("stream:analytics", (event) => showAnalytics(event.detail));

  // --- Settings and reset -------------------------------------------------------------------------------------

  const settingsForm = document.getElementById("analytics-settings");
  settingsForm.addEventListener("change", async () => {
    const result = document.getElementById("analytics-settings-result");
    const body = { tracking: settingsForm.elements.tracking.checked, traces: settingsForm.elements.traces.checked };
    const response = await sendJson("PATCH", panel.dataset.settingsUrl, body).catch(() => null);
    result.textContent = response && response.ok ? "Applied." : "Not applied.";
  });

  document.getElementById("reset-counts")?.addEventListener("click", async () => {
    if (!window.confirm("Reset every count of this stream's zones and lines to zero?")) return;
    const response = await sendJson("POST", panel.dataset.resetUrl).catch(() => null);
    if (response && response.ok) {
      for (const cell of panel.querySelectorAll(".counters td[data-total]")) show(cell, {});
      chart.refresh();
    }
  });

  // --- Counts per minute over the last hour ---------------------------------------------------------------

  const chart = (() => {
    const el = document.getElementById("chart-counts");
    if (!el || typeof window.uPlot !== "function") return { refresh() {} };
    const series = [{ label: "line crossings", stroke: "#f472b6", width: 2 }, { label: "zone entries", stroke: "#38bdf8", width: 2 }];
    const axis = { stroke: "#8d9aab", grid: { stroke: "rgb(255 255 255 / 0.06)" }, ticks: { stroke: "#283443" } };
    const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
    const plot = new window.uPlot({
      width: Math.max(el.clientWidth, 240), height: 180, legend: { live: false }, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{ ...axis, space: 70, values: (u, splits) => splits.map(clock) }, axis], series: [{}, ...series],
    }, [[], [], []], el);
    new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 240), height: 180 })).observe(el);

    async function refresh() {
      const to = Math.floor(Date.now() / 60000) * 60 + 60;
      const response = await window.StreamVision.getJson(`${panel.dataset.countsUrl}?bucket=minute&from=${to - 3600}&to=${to}`)
        .catch(() => null);
      if (!response || !response.ok || response.redirected) return;
      const rows = await response.json();
      const times = Array.from({ length: 60 }, (_, i) => to - 3600 + i * 60);
      const sums = [new Map(), new Map()];
      for (const r of rows) {
        const which = r.metric === "in" || r.metric === "out" ? 0 : r.metric === "enter" ? 1 : -1;
        if (which < 0) continue;
        const at = Date.parse(r.start) / 1000;
        sums[which].set(at, (sums[which].get(at) || 0) + r.count);
      }
      plot.setData([times, ...sums.map((sum) => times.map((t) => sum.get(t) || 0))]);
      el.dataset.points = String(rows.length);
    }

    refresh();
    setInterval(() => { if (!document.hidden) refresh(); }, CHART_REFRESH_MS);
    return { refresh };
  })();
})();
