// The demo page's live view: poll /demo/progress once a second and redraw the stage counts and the
// order list. No build step, no dependencies; the page is complete without it (reload shows the same).
(function () {
  "use strict";
  var live = document.getElementById("demo-live");
  if (!live || !window.fetch) {
    return;
  }
  var url = "/demo/progress?after=" + encodeURIComponent(live.getAttribute("data-after"));
  var started = Date.now();
  var LIMIT_MS = 15 * 60 * 1000; // stop polling a forgotten tab after 15 minutes

  function redraw(data) {
    Object.keys(data.counts).forEach(function (stage) {
      var cell = live.querySelector('[data-stage="' + stage + '"] .n');
      if (cell && cell.textContent !== String(data.counts[stage])) {
        cell.textContent = String(data.counts[stage]);
      }
    });
    var body = document.getElementById("demo-orders");
    var rows = document.createDocumentFragment();
    data.orders.forEach(function (order) {
      var tr = document.createElement("tr");
      var name = document.createElement("td");
      name.setAttribute("data-label", "Order");
      var link = document.createElement("a");
      link.href = "/orders/" + encodeURIComponent(order.id);
      link.textContent = order.external_id;
      name.appendChild(link);
      var status = document.createElement("td");
      status.setAttribute("data-label", "Status");
      status.textContent = order.status;
      tr.appendChild(name);
      tr.appendChild(status);
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    var summary = data.total + " order(s) watched; " + data.counts.ready + " ready, " +
      data.counts.processing + " sent, " + data.counts.shipped + " shipped.";
    var said = document.getElementById("demo-summary");
    if (said.textContent !== summary) {
      said.textContent = summary;
    }
    document.getElementById("demo-updated").textContent = "last " + new Date().toLocaleTimeString();
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          redraw(data);
        }
      })
      .catch(function () {})
      .then(function () {
        if (Date.now() - started < LIMIT_MS) {
          window.setTimeout(poll, 1000);
        }
      });
  }
  window.setTimeout(poll, 1000);
})();
