/* At phone width every table row shows as a card (inscope.css) and the column headings
   leave the screen, so "1" or "—" alone would say nothing: each cell gets its column's
   heading as data-label, read from the table's own (translated) header, and the
   stylesheet shows it before the value ("Attempts: 1"). Tables a page rewrites (the
   board's refresh, say) are labelled again. Without script the cards stay unlabelled. */
(function () {
  "use strict";

  function heading(th) {
    var copy = th.cloneNode(true);
    copy.querySelectorAll(".sr-only").forEach(function (hidden) { hidden.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function labelTable(table) {
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) { return; }
    var names = [];
    Array.prototype.forEach.call(row.cells, function (th) {
      for (var i = 0; i < (th.colSpan || 1); i += 1) { names.push(heading(th)); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (tr) {
        var column = 0;
        Array.prototype.forEach.call(tr.cells, function (cell) {
          // A cell across columns ("No API token in use.") speaks for itself.
          if (names[column] && cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  function labelAll() {
    document.querySelectorAll("main table:not(.checklist)").forEach(labelTable);
  }

  function start() {
    labelAll();
    var main = document.querySelector("main");
    if (main && window.MutationObserver) {
      new MutationObserver(labelAll).observe(main, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
