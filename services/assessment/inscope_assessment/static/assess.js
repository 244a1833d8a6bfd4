// Assessment pages: focus the error summary; poll until the scoring worker is done;
// follow the client's status until the referral service's decision reaches this page.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  function again(tries, fn) { window.setTimeout(fn, tries < 30 ? 1000 : 5000); }

  var box = document.getElementById("scoring");
  if (box && box.dataset.status !== "scored") {
    var scoringTries = 0;
    var pollScoring = function () {
      scoringTries += 1;
      fetch(box.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (body && body.status === "scored") { window.location.reload(); return; }
          again(scoringTries, pollScoring);
        })
        .catch(function () { window.setTimeout(pollScoring, 5000); });
    };
    window.setTimeout(pollScoring, 500);
    return;
  }

  // The decision arrives by event a moment after the scoring: follow it and put it in
  // place (no reload, so nothing the trainer scrolled to moves; 204 = still deciding).
  var status = document.getElementById("client-status");
  if (!status || !status.dataset.follow) return;
  var statusTries = 0;
  var followStatus = function () {
    statusTries += 1;
    fetch(status.dataset.follow, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.status === 200 ? r.text() : null; })
      .then(function (html) {
        if (html !== null) {
          status.innerHTML = html;
          delete status.dataset.deciding;
          return;
        }
        if (statusTries < 150) again(statusTries, followStatus);
      })
      .catch(function () { if (statusTries < 150) window.setTimeout(followStatus, 5000); });
  };
  window.setTimeout(followStatus, 500);
})();
