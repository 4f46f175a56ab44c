/* Charts of the analytics page, drawn from the tables' own cells (vendored Chart.js).
 *
 * A table with data-chart="line|bar" gets a chart above it: x labels from the first cell of each
 * row (or the cells listed in data-chart-x), y values from the data-value attribute of the cell
 * in column data-chart-y. Rows whose cell is suppressed (no data-value) are gaps, so a chart
 * never shows what its table hides. The canvas is aria-hidden: screen readers read the table.
 */
(function () {
  "use strict";
  if (typeof window.Chart !== "function") {
    return;
  }
  var config = JSON.parse(document.body.getAttribute("data-config") || "{}");
  var strings = config.strings || {};

  function cellsOf(row) {
    var cells = [];
    var index = 0;
    Array.prototype.forEach.call(row.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i += 1) {
        cells[index] = i === 0 ? cell : null;
        index += 1;
      }
    });
    return cells;
  }

  function draw(table) {
    var kind = table.getAttribute("data-chart") === "bar" ? "bar" : "line";
    var xs = (table.getAttribute("data-chart-x") || "0").split(",").map(Number);
    var y = Number(table.getAttribute("data-chart-y"));
    var labels = [];
    var values = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var cells = cellsOf(row);
      labels.push(xs.map(function (x) { return cells[x] ? cells[x].textContent.trim() : ""; }).join(" / "));
      var cell = cells[y];
      var raw = cell ? cell.getAttribute("data-value") : null;
      values.push(raw === null ? null : Number(raw));
    });
    if (!values.some(function (v) { return v !== null; })) {
      return;
    }
    var figure = document.createElement("figure");
    figure.className = "chart";
    figure.setAttribute("aria-hidden", "true");
    var box = document.createElement("div");
    box.className = "chart-box";
    var canvas = document.createElement("canvas");
    box.appendChild(canvas);
    figure.appendChild(box);
    var note = document.createElement("figcaption");
    note.textContent = strings.mg_chart_note || "";
    figure.appendChild(note);
    var anchor = table.closest(".table-scroll") || table;
    anchor.parentNode.insertBefore(figure, anchor);
    var scale = {};
    if (table.hasAttribute("data-chart-min")) { scale.min = Number(table.getAttribute("data-chart-min")); }
    if (table.hasAttribute("data-chart-max")) { scale.max = Number(table.getAttribute("data-chart-max")); }
    table.setAttribute("data-chart-drawn", "true");
    return new window.Chart(canvas, {
      type: kind,
      data: {
        labels: labels,
        datasets: [{ label: table.getAttribute("data-chart-title") || "", data: values, spanGaps: false,
                     borderColor: "#1f5f99", backgroundColor: "rgba(31, 95, 153, 0.35)" }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: scale },
        plugins: { legend: { display: true } }
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-chart]"), draw);
})();
