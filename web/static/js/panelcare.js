// The pages' behaviour, in one static file: the Content-Security-Policy
// (web/config/csp.py) runs no inline script and no inline event handler (onclick=...).
"use strict";

// Each chart is a <div id="chart-NAME"> with its Vega-Lite spec beside it in
// <script type="application/json" id="spec-NAME"> (the json_script filter).
document.addEventListener("DOMContentLoaded", function () {
  const specs = document.querySelectorAll('script[type="application/json"][id^="spec-"]');
  for (const spec of specs) {
    const target = document.getElementById("chart-" + spec.id.slice("spec-".length));
    if (target && window.vegaEmbed) {
      window.vegaEmbed(target, JSON.parse(spec.textContent), {actions: false, renderer: "svg"});
    }
  }
});

// <button data-open-dialog="ID"> opens the dialog ID; <button data-close-dialog> closes
// the dialog it sits in.
document.addEventListener("click", function (event) {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    document.getElementById(opener.dataset.openDialog).showModal();
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) {
    closer.closest("dialog").close();
  }
});

// <select data-submit-on-change> sends its form when the choice changes.
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
