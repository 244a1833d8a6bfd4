// Client-side hints for the intake form; the server re-checks everything.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;

  function answer(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  // A follow-up section's sub-questions open only when its gate is answered yes.
  function syncSections() {
    var anyGeneral = Array.prototype.some.call(
      form.querySelectorAll('fieldset.general input[value="yes"]'), function (i) { return i.checked; });
    var followups = document.getElementById("followups");
    var anyGate = followups.querySelector('fieldset.gate input[value="yes"]:checked');
    followups.hidden = !(anyGeneral || anyGate || followups.querySelector(".has-error"));
    document.querySelectorAll(".followup").forEach(function (section) {
      var gateName = "intake.parq.followups." + section.dataset.section + ".gate";
      var subs = section.querySelector(".subs");
      subs.hidden = answer(gateName) !== "yes";
    });
  }
  form.addEventListener("change", syncSections);
  syncSections();

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // An emergency-grade warning sign ticked: say so at once (the screening still decides).
  var alertBox = document.getElementById("emergency-alert");
  var emergencyFlags = (form.dataset.emergencyFlags || "").split(" ").filter(Boolean);
  function syncEmergency() {
    if (!alertBox) return;
    var ticked = emergencyFlags.filter(function (flag) {
      var box = form.querySelector('input[name="intake.red_flags.' + flag + '"]');
      return box && box.checked;
    });
    var wasHidden = alertBox.hidden;
    alertBox.hidden = ticked.length === 0;
    document.getElementById("emergency-signs").textContent = ticked.map(function (flag) {
      var label = form.querySelector('label[for="' + form.querySelector(
        'input[name="intake.red_flags.' + flag + '"]').id + '"]');
      return label ? label.textContent.trim() : flag.replace(/_/g, " ");
    }).join("; ");
    if (wasHidden && !alertBox.hidden) alertBox.scrollIntoView({ block: "center" });
  }
  form.addEventListener("change", syncEmergency);
  syncEmergency();

  // Drawn signature: pointer events on a canvas, stored as a PNG data URL.
  var pad = form.querySelector("[data-signature-pad]");
  var canvas = document.getElementById("signature-canvas");
  var store = document.getElementById("signature-drawn");
  if (!pad || !canvas || !canvas.getContext) return;
  pad.hidden = false;
  var ctx = canvas.getContext("2d");
  ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#1b1b1b";
  if (store.value) {
    var img = new Image();
    img.onload = function () { ctx.drawImage(img, 0, 0); };
    img.src = store.value;
  }
  var drawing = false;
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * canvas.width / r.width,
             y: (e.clientY - r.top) * canvas.height / r.height };
  }
  canvas.addEventListener("pointerdown", function (e) {
    drawing = true; canvas.setPointerCapture(e.pointerId);
    var p = point(e); ctx.beginPath(); ctx.moveTo(p.x, p.y);
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    var p = point(e); ctx.lineTo(p.x, p.y); ctx.stroke();
  });
  function finish() {
    if (!drawing) return;
    drawing = false; store.value = canvas.toDataURL("image/png");
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  pad.querySelector("[data-clear-signature]").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); store.value = "";
  });
})();
