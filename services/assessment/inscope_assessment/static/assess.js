// Assessment pages: focus the error summary; poll until the scoring worker is done.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var box = document.getElementById("scoring");
  if (!box || box.dataset.status === "scored") return;
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(box.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (body && body.status === "scored") { window.location.reload(); return; }
        window.setTimeout(poll, tries < 30 ? 1000 : 5000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
})();
