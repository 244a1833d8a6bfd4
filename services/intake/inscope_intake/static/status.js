// The intake's confirmation follows the screening: it asks the status endpoint until the
// result is in, and shows it in words (no reload). Without JavaScript the page refreshes.
(function () {
  "use strict";
  var box = document.getElementById("screening-result");
  if (!box || !window.fetch) return;
  var url = box.dataset.poll;
  var tries = 0;
  function show(s) {
    box.className = "result " + s.tone;
    box.dataset.status = s.status;
    box.querySelector("[data-headline]").textContent = s.headline;
    box.querySelector("[data-reason]").textContent = s.reason;
    // "Next:" in the box's language (the client's, when they read another).
    box.querySelector("[data-next]").textContent = (box.dataset.nextLabel || "Next:") + " " + s.next_action;
    var instruction = box.querySelector("[data-instruction]");
    instruction.textContent = s.emergency_instruction || "";
    instruction.hidden = !s.emergency_instruction;
  }
  function poll() {
    tries += 1;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s) show(s);
        // Keep following: a pending screening settles in seconds; after that, slowly,
        // so a clinician's answer or a correction still shows up.
        var pending = !s || s.status === "screening_pending";
        setTimeout(poll, pending ? (tries < 30 ? 1000 : 3000) : 15000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status === "screening_pending") setTimeout(poll, 500);
  else setTimeout(poll, 15000);
})();
