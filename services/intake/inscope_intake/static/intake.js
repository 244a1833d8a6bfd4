// Client-side help for the intake form; the server re-checks everything. Without this
// script the form is one long page that works the same way (the "Add" buttons then
// ask the server for one more row).
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  // The words this script writes, in the page's language (intake_fields.html).
  var wordsBox = document.getElementById("intake-words");
  function say(key, fallback, fill) {
    var text = (wordsBox && wordsBox.dataset[key]) || fallback;
    Object.keys(fill || {}).forEach(function (k) { text = text.replace("{" + k + "}", fill[k]); });
    return text;
  }

  function answer(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  // ---- PAR-Q+ follow-ups: a section's questions open only when its gate is Yes.
  function syncSections() {
    var anyGeneral = Array.prototype.some.call(
      form.querySelectorAll('fieldset.general input[value="yes"]'), function (i) { return i.checked; });
    var followups = document.getElementById("followups");
    var anyGate = followups.querySelector('fieldset.gate input[value="yes"]:checked');
    followups.hidden = !(anyGeneral || anyGate || followups.querySelector(".has-error"));
    each(document.querySelectorAll(".followup"), function (section) {
      var gateName = "intake.parq.followups." + section.dataset.section + ".gate";
      section.querySelector(".subs").hidden = answer(gateName) !== "yes";
    });
  }

  // ---- Warning signs: each group opens when "Any of these?" is Yes (or a sign in it
  // is ticked: a ticked sign is never hidden).
  function syncScreeners() {
    each(form.querySelectorAll("[data-flags-of]"), function (group) {
      var screen = document.getElementById(group.dataset.flagsOf);
      var said = screen.querySelector("input:checked");
      var ticked = group.querySelector("input:checked");
      group.hidden = !(ticked || (said && said.value === "yes"));
      var list = document.getElementById(group.dataset.flagsOf + "-list");
      if (list) list.hidden = !group.hidden;  // open: the signs are listed as checkboxes
    });
  }

  // ---- An emergency-grade warning sign ticked: say so at once.
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
      var box = form.querySelector('input[name="intake.red_flags.' + flag + '"]');
      var label = form.querySelector('label[for="' + box.id + '"]');
      return label ? label.textContent.trim() : flag.replace(/_/g, " ");
    }).join("; ");
    if (wasHidden && !alertBox.hidden) alertBox.scrollIntoView({ block: "center" });
  }

  // ---- The computed age beside the date of birth.
  var dob = document.getElementById("f-client-date_of_birth");
  var ageShown = document.getElementById("age-shown");
  function syncAge() {
    if (!dob || !ageShown) return;
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob.value);
    if (!m) { ageShown.textContent = ""; return; }
    var now = new Date();
    var age = now.getFullYear() - Number(m[1]);
    if (now.getMonth() + 1 < Number(m[2]) ||
        (now.getMonth() + 1 === Number(m[2]) && now.getDate() < Number(m[3]))) age -= 1;
    ageShown.textContent = age < 0 ? say("future", "This date is in the future.")
      : say("age", "Age today: {age}", {age: age});
  }

  // ---- Physician details given but sharing is No: warn the clerk.
  var shareWarning = document.getElementById("share-warning");
  function syncShareWarning() {
    if (!shareWarning) return;
    var physician = ["name", "email"].some(function (k) {
      var el = form.querySelector('[name="intake.physician.' + k + '"]');
      return el && el.value.trim();
    });
    shareWarning.hidden = !(physician && answer("intake.consent.share_with_physician") === "no");
  }

  // ---- Duplicate questions merged: a question another answer settles is answered,
  // hidden and replaced by a line saying why (the server fills in the same answer).
  var implied = JSON.parse(form.dataset.implied || "[]");
  function value(name) {
    var el = form.querySelector('[name="' + name + '"]');
    if (el && el.tagName === "SELECT") return el.value;
    return answer(name);
  }
  function syncImplied() {
    var settled = {};
    implied.forEach(function (rule) {
      if (!settled[rule[0]] && value(rule[1]) === rule[2]) settled[rule[0]] = rule;
    });
    var targets = {};
    implied.forEach(function (rule) { targets[rule[0]] = true; });
    Object.keys(targets).forEach(function (name) {
      var box = document.getElementById("f-" + name.replace(/\./g, "-"));
      if (!box) return;
      var note = document.getElementById(box.id + "-implied");
      if (!note) {
        note = document.createElement("p");
        note.id = box.id + "-implied";
        note.className = "hint implied";
        note.hidden = true;
        box.parentNode.insertBefore(note, box.nextSibling);
      }
      var rule = settled[name];
      if (rule) {
        var radio = box.querySelector('input[value="' + rule[3] + '"]');
        if (radio && !radio.checked) { radio.checked = true; box.dataset.impliedSet = "1"; }
        note.textContent = (box.dataset.label || "") + ": " + rule[4];
        box.hidden = true;
        note.hidden = false;
      } else {
        if (box.dataset.impliedSet) {  // set here, no longer settled: ask again
          each(box.querySelectorAll("input"), function (i) { i.checked = false; });
          delete box.dataset.impliedSet;
        }
        box.hidden = false;
        note.hidden = true;
      }
    });
  }

  function syncAll() {
    syncImplied(); syncSections(); syncScreeners(); syncEmergency(); syncShareWarning();
  }
  form.addEventListener("change", syncAll);
  form.addEventListener("input", function (e) {
    if (e.target === dob) syncAge();
    if (/^intake\.physician\./.test(e.target.name || "")) syncShareWarning();
  });
  syncAll();
  syncAge();

  // ---- "Add pain area", "Add surgery"...: open the next hidden row here.
  var rowsField = form.querySelector('input[name="rows"]');
  function countRows() {
    var counts = {};
    each(form.querySelectorAll("[data-row]"), function (row) {
      var key = row.dataset.row;
      counts[key] = (counts[key] || 0) + (row.hidden ? 0 : 1);
    });
    rowsField.value = Object.keys(counts).map(function (k) { return k + "=" + counts[k]; }).join(";");
  }
  each(form.querySelectorAll("[data-add]"), function (button) {
    var section = button.dataset.add;
    function syncButton() {
      button.hidden = !form.querySelector('[data-row="' + section + '"][hidden]');
    }
    button.addEventListener("click", function (e) {
      e.preventDefault();
      var next = form.querySelector('[data-row="' + section + '"][hidden]');
      if (!next) return;
      next.hidden = false;
      countRows(); syncButton();
      var first = next.querySelector("input, select, textarea");
      if (first) first.focus();
    });
    syncButton();
  });

  // ---- One step at a time, with progress; required questions checked on leaving.
  var steps = Array.prototype.slice.call(form.querySelectorAll("section.step"));
  var links = document.querySelectorAll("[data-step-link]");
  var counter = document.getElementById("step-count");
  var summary = document.getElementById("error-summary");
  var current = 0;

  function visible(el) {
    for (var node = el; node && node !== form; node = node.parentElement) {
      if (node.hidden) return false;
    }
    return true;
  }

  function show(index, focusHeading) {
    current = index;
    steps.forEach(function (step, i) { step.hidden = i !== index; });
    each(links, function (link, i) {
      var item = link.parentElement;
      item.classList.toggle("done", i < index);
      if (i === index) link.setAttribute("aria-current", "step");
      else link.removeAttribute("aria-current");
    });
    counter.hidden = false;
    counter.textContent = say("step", "Step {n} of {m}:", {n: index + 1, m: steps.length}) +
      " " + links[index].textContent;
    if (focusHeading) {
      var heading = steps[index].querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
      window.scrollTo(0, 0);
    }
  }

  function stepOf(el) {
    for (var i = 0; i < steps.length; i++) if (steps[i].contains(el)) return i;
    return -1;
  }

  function clearStepErrors(step) {
    each(step.querySelectorAll("[data-step-error]"), function (p) {
      var owner = p.parentElement;
      owner.classList.remove("has-error");
      var field = owner.querySelector("[data-required]") || owner;
      field.removeAttribute("aria-invalid");
      var ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== p.id;
      });
      if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
      else field.removeAttribute("aria-describedby");
      p.remove();
    });
    var box = step.querySelector("[data-step-summary]");
    if (box) box.remove();
  }

  function typedIn(row) {
    return Array.prototype.some.call(row.querySelectorAll("input, textarea"), function (el) {
      return el.type === "radio" || el.type === "checkbox" ? el.checked : el.value.trim();
    });
  }

  // The step's required questions that are shown and unanswered.
  function missing(step) {
    var out = [];
    each(step.querySelectorAll("[data-required]"), function (el) {
      if (!visible(el)) return;
      var row = el.closest("[data-row]");
      if (row && !typedIn(row)) return;  // an added row left empty is ignored
      var empty = el.tagName === "FIELDSET" ? !el.querySelector("input:checked") : !el.value.trim();
      if (empty) out.push(el);
    });
    return out;
  }

  function checkStep(index) {
    var step = steps[index];
    clearStepErrors(step);
    var gaps = missing(step);
    if (!gaps.length) return true;
    var list = document.createElement("ul");
    gaps.forEach(function (el) {
      var isChoice = el.tagName === "FIELDSET";
      var words = isChoice ? say("yesNo", "Answer Yes or No.")
        : say("required", "This is required.");
      var p = document.createElement("p");
      p.className = "error";
      p.id = el.id + "-step-error";
      p.setAttribute("data-step-error", "");
      p.textContent = words;
      var owner = isChoice ? el : el.parentElement;
      owner.classList.add("has-error");
      if (isChoice) el.insertBefore(p, el.querySelector(".choices"));
      else owner.insertBefore(p, el);
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby",
        ((el.getAttribute("aria-describedby") || "") + " " + p.id).trim());
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + el.id;
      a.textContent = (el.dataset.label || say("question", "This question"))
        .replace(/\s*\(required\)/, "") +
        ": " + words;
      li.appendChild(a);
      list.appendChild(li);
    });
    var box = document.createElement("div");
    box.className = "error-summary";
    box.setAttribute("data-step-summary", "");
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    var h = document.createElement("h3");
    h.textContent = say(gaps.length === 1 ? "gapsOne" : "gapsMany",
      "Answer {n} questions before going on", {n: gaps.length});
    box.appendChild(h);
    box.appendChild(list);
    step.insertBefore(box, step.querySelector("h2").nextSibling);
    box.focus();
    return false;
  }

  if (steps.length) {
    form.classList.add("stepped");
    each(form.querySelectorAll("[data-step-buttons]"), function (b) { b.hidden = false; });
    each(form.querySelectorAll("[data-next]"), function (b) {
      b.addEventListener("click", function () {
        if (checkStep(current)) show(current + 1, true);
      });
    });
    each(form.querySelectorAll("[data-back]"), function (b) {
      b.addEventListener("click", function () { show(current - 1, true); });
    });
    // The progress list: go back to any step done; forward only through the checks.
    each(links, function (link, i) {
      link.addEventListener("click", function (e) {
        e.preventDefault();
        while (current < i) { if (!checkStep(current)) return; show(current + 1, false); }
        show(i, true);
      });
    });
    // Enter in a field goes to the next step; the last step submits.
    form.addEventListener("submit", function (e) {
      var button = e.submitter;
      if (button && button.dataset.add) return;
      if (button && button.hasAttribute("data-default")) button = null;
      if (current < steps.length - 1) {
        e.preventDefault();
        if (checkStep(current)) show(current + 1, true);
      }
    });
    // A link to a question (the error summaries) opens its step first.
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest('a[href^="#"]');
      if (!a || a.hasAttribute("data-step-link")) return;
      var target = document.getElementById(a.getAttribute("href").slice(1));
      var index = target ? stepOf(target) : -1;
      if (index < 0) return;
      e.preventDefault();
      show(index, false);
      target.scrollIntoView({ block: "center" });
      var focusable = target.matches("input, select, textarea") ? target
        : target.querySelector("input:not([type=hidden]), select, textarea") || target;
      focusable.focus();
    });
    // Back from the server with errors: open the step of the first one.
    var firstError = form.querySelector(".has-error");
    show(firstError ? Math.max(stepOf(firstError), 0) : 0, false);
  }
  if (summary) summary.focus();

  // ---- Drawn signature: pointer events on a canvas, stored as a PNG data URL.
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
