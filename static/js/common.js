// Shared by the list and live pages: badge and control updates, the login redirect, delete confirmation.
"use strict";

window.StreamVision = (() => {
  function setStatus(el, status, reason) {
    if (!el || !status) return;
    el.dataset.status = status;
    el.querySelector(".badge-label").textContent = status;
    const reasonEl = el.querySelector(".status-reason");
    reasonEl.textContent = reason || "";
    reasonEl.hidden = !reason;
  }

  // Stop is offered while the operator wants the stream running; Start when they want it stopped, or as a
  // retry after a failure. Either argument may be omitted to keep what the element last knew.
  function setControls(root, { desired, status } = {}) {
    if (desired) root.dataset.desiredState = desired;
    if (status) root.dataset.lastStatus = status;
    const running = root.dataset.desiredState === "running";
    const failed = root.dataset.lastStatus === "failed";
    for (const form of root.querySelectorAll("form[data-control]")) {
      form.hidden = form.dataset.control === "start" ? running && !failed : !running;
    }
  }

  function goToLogin(loginUrl) {
    const next = location.pathname + location.search;
    location.assign(`${loginUrl}?next=${encodeURIComponent(next)}`);
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  }

  function isAuthFailure(response) {
    // DRF answers 403, not 401, to a request without a session.
    return response.status === 401 || response.status === 403;
  }

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  return { setStatus, setControls, goToLogin, getJson, isAuthFailure };
})();
