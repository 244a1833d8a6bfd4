// The client page follows the client's status: it asks GET /clients/<id>/status with the
// version the page was drawn from (If-None-Match) and ?wait=, so the service answers as
// soon as anything changes (a decision, a referral's fate, an answer) or after the wait
// with 304 Not Modified (issue 13: no polling over and over). On a change the page
// reloads, but not under someone's hands: while a form field has the focus or holds
// typed text, it waits until they have left it.
(function () {
  "use strict";
  var box = document.getElementById("headline");
  if (!box || !box.dataset.follow || !box.dataset.etag || !window.fetch) return;
  var url = box.dataset.follow + "?wait=20";
  var etag = box.dataset.etag;
  function editing() {
    var active = document.activeElement;
    if (active && active.form) return true;
    return Array.prototype.some.call(
      document.querySelectorAll("main input[type=text], main textarea"),
      function (field) { return field.value !== ""; });
  }
  function reloadWhenFree() {
    if (editing()) { window.setTimeout(reloadWhenFree, 3000); return; }
    window.location.reload();
  }
  function follow() {
    var asked = Date.now();
    fetch(url, {
      headers: { Accept: "application/json", "If-None-Match": etag },
      credentials: "same-origin",
      cache: "no-store"
    })
      .then(function (r) {
        if (r.status === 200 && r.headers.get("ETag") !== etag) { reloadWhenFree(); return; }
        if (r.status === 304 || r.status === 200) {
          // Held for the whole wait: ask again now. Answered at once (the service had
          // no room to hold it): ask again in a while.
          window.setTimeout(follow, Date.now() - asked > 2000 ? 100 : 5000);
          return;
        }
        // Signed out, no longer allowed or the client erased: stop; the service down: later.
        if (r.status >= 500) window.setTimeout(follow, 30000);
      })
      .catch(function () { window.setTimeout(follow, 15000); });
  }
  window.setTimeout(follow, 500);
})();
