// The board refreshes itself every 10 seconds (table, count, pager and emergency banner),
// so a new client, a decision or an answer shows up without reloading by hand. The
// banner is left alone while someone is typing a note in it.
(function () {
  "use strict";
  function swap(fresh, selector) {
    var now = document.querySelector(selector), next = fresh.querySelector(selector);
    if (now && next) now.replaceWith(next);
    else if (!now && next) document.querySelector("main").prepend(next);
    else if (now && !next) now.remove();
  }
  function typing() {
    var banner = document.querySelector(".emergency-banner");
    if (!banner) return false;
    if (banner.contains(document.activeElement)) return true;
    return Array.prototype.some.call(banner.querySelectorAll("input[name=note]"),
      function (input) { return input.value !== ""; });
  }
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swap(fresh, "#board tbody");
        swap(fresh, "#board-count");
        swap(fresh, ".pager");
        if (!typing()) swap(fresh, ".emergency-banner");
      })
      .catch(function () {});
  }
  window.setInterval(refresh, 10000);
})();
