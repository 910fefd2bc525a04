// Add/edit stream form: inline validation as the operator leaves a field, and "Test source", which asks the
// server to open the source once and shows a snapshot or the exact error (passwords redacted server-side).
"use strict";

(() => {
  const form = document.getElementById("stream-form");
  if (!form) return;
  const SV = window.StreamVision;

  // --- Inline validation (the server validates again; this only answers sooner) ----------------------

  function checkField(input) {
    const slot = document.getElementById(`${input.id}_inline`);
    if (!slot) return;
    let message = "";
    if (input.required && !input.value.trim()) message = "This field is required.";
    else if (!input.checkValidity()) message = input.validationMessage;
    slot.textContent = message;
    slot.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else if (!input.closest(".has-error")) input.removeAttribute("aria-invalid");
  }

  for (const input of form.querySelectorAll("input[type=text], input[type=number], input:not([type])")) {
    const slot = document.getElementById(`${input.id}_inline`);
    if (slot) input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${slot.id}`.trim());
    input.addEventListener("blur", () => checkField(input));
    input.addEventListener("input", () => {
      if (input.getAttribute("aria-invalid") === "true") checkField(input);
    });
  }

  // --- Test source ------------------------------------------------------------------------------------

  const button = document.getElementById("probe-button");
  const result = document.getElementById("probe-result");
  const message = document.getElementById("probe-message");
  const snapshot = document.getElementById("probe-snapshot");

  async function probe() {
    const body = new FormData();
    body.append("source", form.querySelector("[name=source]").value);
    if (form.dataset.streamId) body.append("stream", form.dataset.streamId);
    button.disabled = true;
    result.hidden = false;
    result.dataset.ok = "";
    message.textContent = "Opening the source…";
    snapshot.hidden = true;
    try {
      const response = await SV.postForm(form.dataset.probeUrl, body);
      const answer = await response.json();
      result.dataset.ok = String(Boolean(answer.ok));
      message.textContent = answer.ok ? `${answer.message} (${Math.round(answer.elapsed_ms)} ms)` : answer.message;
      if (answer.snapshot) {
        snapshot.src = answer.snapshot;
        snapshot.hidden = false;
      }
    } catch {
      result.dataset.ok = "false";
      message.textContent = "Could not reach the server.";
    } finally {
      button.disabled = false;
    }
  }

  if (button) button.addEventListener("click", probe);
})();
