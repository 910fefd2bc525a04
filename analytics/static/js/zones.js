// Stream page: the zone and line editor, drawn over the live video (an SVG laid exactly over the picture), and
// the list of the stream's zones and lines in the counters tables. Points are relative to the frame (0..1), as
// the API stores them. Draw: click to place points, drag a point to move it; a zone closes by clicking its
// first point (or Save); Esc or Cancel leaves. Saving goes through /api/streams/<id>/zones|lines/; the worker
// draws the saved shape on the next frames (server side), the counters (counters.js) start moving.
"use strict";

window.Analytics = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const HANDLE_R = 7;
  const CLOSE_PX = 12;
  const panel = document.getElementById("analytics-panel");
  const frameBox = document.getElementById("video-frame");
  const canvas = document.getElementById("live-frame");
  if (!panel || !frameBox || !canvas) return null;
  const form = document.getElementById("shape-form");
  const help = document.getElementById("shape-help");
  const result = document.getElementById("shape-result");
  const urls = { zone: panel.dataset.zonesUrl, line: panel.dataset.linesUrl };
  let shapes = { zone: [], line: [] };
  let draft = null; // { kind, id (null: new), points: [[x, y]], closed }
  let dragging = null; // index of the point being dragged

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function sendJson(method, url, body) {
    return fetch(url, {
      method, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    });
  }

  // --- The overlay: exactly over the picture (the canvas letterboxes it with object-fit: contain) ---------

  const svg = document.createElementNS(NS, "svg");
  svg.id = "shape-editor";
  svg.classList.add("shape-editor");
  svg.setAttribute("aria-label", "Zone and line editor");
  svg.hidden = true;
  frameBox.append(svg);

  function pictureRect() {
    const box = frameBox.getBoundingClientRect();
    const scale = Math.min(box.width / canvas.width, box.height / canvas.height);
    const width = canvas.width * scale;
    const height = canvas.height * scale;
    return { left: (box.width - width) / 2, top: (box.height - height) / 2, width, height };
  }

  function place() {
    const rect = pictureRect();
    Object.assign(svg.style, { left: `${rect.left}px`, top: `${rect.top}px`, width: `${rect.width}px`, height: `${rect.height}px` });
    svg.setAttribute("viewBox", `0 0 ${rect.width} ${rect.height}`);
    render();
  }

  function toRelative(event) {
    const box = svg.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 10000) / 10000));
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }

  function toPixels(point) {
    const rect = pictureRect();
    return [point[0] * rect.width, point[1] * rect.height];
  }

  function node(name, attrs, parent) {
    const el = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
    parent.append(el);
    return el;
  }

  function outline(points, kind, closed, cls) {
    const path = points.map(toPixels).map(([x, y]) => `${x},${y}`).join(" ");
    const tag = kind === "zone" && closed ? "polygon" : "polyline";
    return node(tag, { points: path, class: `${cls} shape-${kind}` }, svg);
  }

  function render() {
    svg.replaceChildren();
    if (!draft) return;
    for (const kind of ["zone", "line"]) {
      for (const shape of shapes[kind]) if (shape.id !== draft.id) outline(shape.points, kind, true, "shape-other");
    }
    outline(draft.points, draft.kind, draft.closed || draft.kind === "line", "shape-draft");
    draft.points.forEach((point, index) => {
      const [cx, cy] = toPixels(point);
      const handle = node("circle", { cx, cy, r: HANDLE_R, class: "shape-handle", "data-index": index }, svg);
      handle.setAttribute("aria-label", `Point ${index + 1}`);
    });
  }

  // --- Drawing --------------------------------------------------------------------------------------------

  svg.addEventListener("pointerdown", (event) => {
    if (!draft) return;
    event.preventDefault();
    const index = event.target.dataset?.index;
    if (index !== undefined) {
      if (draft.kind === "zone" && !draft.closed && Number(index) === 0 && draft.points.length >= 3) {
        draft.closed = true;
        return finishedPlacing();
      }
      dragging = Number(index);
      svg.setPointerCapture(event.pointerId);
      return;
    }
    if (draft.kind === "line" ? draft.points.length >= 2 : draft.closed) return;
    draft.points.push(toRelative(event));
    if (draft.kind === "line" && draft.points.length === 2) finishedPlacing();
    render();
  });

  svg.addEventListener("pointermove", (event) => {
    if (dragging === null || !draft) return;
    draft.points[dragging] = toRelative(event);
    render();
  });

  for (const type of ["pointerup", "pointercancel"]) {
    svg.addEventListener(type, () => {
      dragging = null;
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && draft) stop();
  });

  function finishedPlacing() {
    help.textContent = "Drag a point to move it, then name the shape and save.";
    render();
  }

  function start(kind, shape = null) {
    draft = { kind, id: shape ? shape.id : null, points: shape ? shape.points.map((p) => [...p]) : [], closed: !!shape };
    form.hidden = false;
    svg.hidden = false;
    frameBox.dataset.editing = kind;
    form.elements.name.value = shape ? shape.name : "";
    form.elements.classes.value = shape ? shape.classes.join(", ") : "";
    form.elements.anchor.value = shape ? shape.anchor : "BOTTOM_CENTER";
    form.elements.in_side.value = shape?.in_side || "right";
    form.querySelector("[data-line-only]").hidden = kind !== "line";
    help.textContent = kind === "line"
      ? "Click the line's two ends on the video. 'In' is the side chosen below (right of first → second point)."
      : "Click the zone's corners on the video in order; click the first point to close it.";
    result.textContent = "";
    clearErrors();
    place();
    frameBox.scrollIntoView({ block: "nearest" });
  }

  function stop() {
    draft = null;
    dragging = null;
    form.hidden = true;
    svg.hidden = true;
    delete frameBox.dataset.editing;
    render();
  }

  // --- Saving ---------------------------------------------------------------------------------------------

  function clearErrors() {
    for (const list of form.querySelectorAll(".field-errors")) {
      list.hidden = true;
      list.replaceChildren();
    }
  }

  function showErrors(errors) {
    for (const [field, messages] of Object.entries(errors)) {
      const list = form.querySelector(`[data-field="${field}"] .field-errors`) || form.querySelector(".form-errors");
      list.replaceChildren(...[].concat(messages).map((text) => Object.assign(document.createElement("li"), { textContent: text })));
      list.hidden = false;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!draft) return;
    clearErrors();
    const payload = {
      name: form.elements.name.value,
      points: draft.points,
      classes: form.elements.classes.value.split(",").map((name) => name.trim()).filter(Boolean),
      anchor: form.elements.anchor.value,
    };
    if (draft.kind === "line") payload.in_side = form.elements.in_side.value;
    const url = draft.id === null ? urls[draft.kind] : `${urls[draft.kind]}${draft.id}/`;
    result.textContent = "Saving…";
    let response;
    try {
      response = await sendJson(draft.id === null ? "POST" : "PATCH", url, payload);
    } catch {
      result.textContent = "Could not reach the server; nothing was saved.";
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      result.textContent = "Not saved: please correct what is marked.";
      return showErrors(body);
    }
    result.textContent = "";
    stop();
    await load();
  });

  document.getElementById("shape-cancel").addEventListener("click", stop);
  // A viewer gets no drawing controls (the page leaves them out): the tables still list the shapes.
  document.getElementById("draw-zone")?.addEventListener("click", () => start("zone"));
  document.getElementById("draw-line")?.addEventListener("click", () => start("line"));

  // --- The list of shapes (rows of the counters tables; counters.js fills in the numbers) -----------------

  async function load() {
    const answers = await Promise.all(["zone", "line"].map((kind) => window.StreamVision.getJson(urls[kind])));
    if (answers.some((response) => !response.ok)) return;
    const [zones, lines] = await Promise.all(answers.map((response) => response.json()));
    shapes = { zone: zones, line: lines };
    fillTable("line", document.querySelector("#counter-lines tbody"), ["count-in", "count-out"]);
    fillTable("zone", document.querySelector("#counter-zones tbody"), ["occupancy", "entries", "exits", "dwell"]);
    document.getElementById("lines-empty").hidden = lines.length > 0;
    document.getElementById("zones-empty").hidden = zones.length > 0;
    panel.dispatchEvent(new CustomEvent("shapes:loaded", { detail: shapes }));
  }

  function fillTable(kind, body, cells) {
    const kept = new Map([...body.querySelectorAll("tr")].map((row) => [row.dataset.id, row]));
    body.replaceChildren(...shapes[kind].map((shape) => {
      const row = kept.get(String(shape.id)) || newRow(kind, shape, cells);
      row.dataset.name = shape.name;
      row.querySelector("th").textContent = shape.name;
      return row;
    }));
  }

  function newRow(kind, shape, cells) {
    const row = document.createElement("tr");
    Object.assign(row.dataset, { kind, id: String(shape.id) });
    row.append(Object.assign(document.createElement("th"), { scope: "row" }));
    for (const cell of cells) row.append(Object.assign(document.createElement("td"), { className: cell, textContent: "0" }));
    const actions = Object.assign(document.createElement("td"), { className: "row-actions" });
    const edit = Object.assign(document.createElement("button"), { type: "button", className: "btn btn-ghost btn-sm", textContent: "Edit" });
    const remove = Object.assign(document.createElement("button"), { type: "button", className: "btn btn-danger btn-sm", textContent: "Delete" });
    edit.addEventListener("click", () => start(kind, shapes[kind].find((s) => String(s.id) === row.dataset.id)));
    remove.addEventListener("click", () => removeShape(kind, row.dataset.id, row.dataset.name));
    edit.setAttribute("aria-label", `Edit ${kind} ${shape.name}`);
    remove.setAttribute("aria-label", `Delete ${kind} ${shape.name}`);
    if (panel.dataset.canOperate) actions.append(edit, remove);
    row.append(actions);
    return row;
  }

  async function removeShape(kind, id, name) {
    if (!window.confirm(`Delete ${kind} “${name}” and its counts?`)) return;
    const response = await sendJson("DELETE", `${urls[kind]}${id}/`);
    if (response.ok || response.status === 404) await load();
  }

  new ResizeObserver(place).observe(frameBox);
  new MutationObserver(place).observe(canvas, { attributes: true, attributeFilter: ["width", "height"] });
  panel.addEventListener("shapes:reload", load);
  load();
  return { sendJson, reload: load };
})();
