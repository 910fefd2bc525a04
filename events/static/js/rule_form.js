// The rule form shows only the fields the chosen kind uses (the server checks them all the same: a hidden field
// keeps its value and Rule.clean refuses what does not fit).
"use strict";

(() => {
  const form = document.getElementById("rule-form");
  const kind = form && form.querySelector('select[name="kind"]');
  if (!kind) return;
  const OBJECT = ["classes", "min_score", "min_duration_s"];
  const USES = {
    object: [...OBJECT, "zone"],
    line_crossed: [...OBJECT, "line", "direction"],
    overcrowded: [...OBJECT, "zone", "max_occupancy"],
    loitering: [...OBJECT, "zone", "dwell_s"],
    stream_down: [],
    stream_up: [],
  };
  const OPTIONAL = ["classes", "min_score", "min_duration_s", "zone", "line", "direction", "max_occupancy", "dwell_s"];

  function show() {
    const used = USES[kind.value] || OPTIONAL;
    for (const name of OPTIONAL) {
      const box = form.querySelector(`[data-field="${name}"]`);
      if (box) box.hidden = !used.includes(name) && !box.querySelector(".errorlist");
    }
  }

  kind.addEventListener("change", show);
  show();
})();
