// Outputs for players (outputs/templates/outputs/_stream_panel.html, token_created.html): fill the secret typed in
// into the URLs and snippets, and copy them. Secrets never leave the page: nothing here sends one anywhere.
(() => {
  'use strict';

  const panel = document.getElementById('outputs');
  if (!panel) return;
  const placeholder = panel.dataset.placeholder || 'TOKEN';
  const secretInput = document.getElementById('outputs-secret');
  const choice = document.getElementById('outputs-token-choice');

  function fill() {
    const secret = secretInput.value.trim();
    const token = secret ? encodeURIComponent(secret) : placeholder;
    panel.querySelectorAll('[data-template]').forEach((element) => {
      element.textContent = element.dataset.template.split(placeholder).join(token);
    });
  }

  if (secretInput) {
    secretInput.addEventListener('input', fill);
    fill();
  }
  if (choice && secretInput) {
    // The chosen token's prefix tells which secret to paste; its secret itself was shown once and is not stored.
    choice.addEventListener('change', () => {
      secretInput.placeholder = choice.value ? `${choice.value}… (paste this token's secret)` : 'svt_… (shown once, when it was made)';
      if (secretInput.value && choice.value && !secretInput.value.startsWith(choice.value)) secretInput.value = '';
      fill();
      secretInput.focus();
    });
  }

  // The Clipboard API needs a secure context (https or localhost); plain http on a LAN falls back to execCommand.
  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    if (!ok) throw new Error('copy refused');
  }

  panel.addEventListener('click', async (event) => {
    const button = event.target.closest('[data-copy]');
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    try {
      await copyText(source.textContent);
      button.dataset.copied = '';
      button.textContent = 'Copied';
    } catch (error) {
      window.getSelection().selectAllChildren(source);
      button.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => { button.textContent = label; delete button.dataset.copied; }, 1600);
  });
})();
