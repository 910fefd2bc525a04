// System page: reloads the health fragment every 5 s (the server does the checks, with short timeouts).
"use strict";

(() => {
  const REFRESH_MS = 5000;
  const root = document.getElementById("system");
  if (!root) return;

  async function refresh() {
    if (!document.hidden) {
      try {
        const response = await fetch(root.dataset.fragmentUrl, { credentials: "same-origin", cache: "no-store" });
        if (response.redirected) {
          location.reload(); // logged out: the page itself redirects to the login
          return;
        }
        if (response.ok) root.innerHTML = await response.text();
      } catch {
        // the web server is unreachable: keep the last view and try again
      }
    }
    setTimeout(refresh, REFRESH_MS);
  }

  setTimeout(refresh, REFRESH_MS);
})();
