// Sortable tables: a <table class="sortable"> whose header cells hold <button data-sort="text|number">.
// Clicking a heading sorts the rows by that column (numbers by each cell's data-value), and again to
// reverse; aria-sort tells assistive technology the order. One listener on the document, so tables
// swapped in by htmx navigation sort too. No data leaves the page.
(function () {
  "use strict";
  function key(cell, numeric) {
    if (!cell) { return numeric ? -Infinity : ""; }
    if (numeric) {
      var value = parseFloat(cell.getAttribute("data-value"));
      return isNaN(value) ? -Infinity : value;
    }
    return cell.textContent.trim().toLowerCase();
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("table.sortable th button[data-sort]") : null;
    if (!button) { return; }
    var header = button.parentElement;
    var table = header.closest("table");
    var body = table.tBodies[0];
    var column = Array.prototype.indexOf.call(header.parentElement.children, header);
    var numeric = button.getAttribute("data-sort") === "number";
    // Numbers start largest first (the most frequent event on top); text starts A to Z.
    var ascending = header.getAttribute("aria-sort") === "none" ? !numeric
      : header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[column], numeric), y = key(b.cells[column], numeric);
      var order = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? order : -order;
    });
    Array.prototype.forEach.call(header.parentElement.children, function (cell) {
      cell.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  });
}());
