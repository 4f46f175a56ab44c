/* The fleet page: every device, refreshed every few seconds without reloading the page.
   The fleet view needs a token (viewer, technician or ops): the page asks for one, keeps it in
   this tab's sessionStorage and sends it as an Authorization header. */
(function () {
  "use strict";

  var CF = window.CF;
  var t = CF.t;
  var REFRESH_S = 5;
  var OFFICES_EVERY = 12; // refreshes between office-name reloads
  var COLUMNS = [
    "device",
    "office",
    "status",
    "last_seen",
    "backlog",
    "reader",
    "panel",
    "gps",
    "clock",
    "last_seq",
    "missing",
    "alerts",
  ];
  var table = document.getElementById("fleet");
  var offices = null;
  var round = 0;
  var alertsAvailable = true;

  function loadOffices() {
    return CF.getJSON("/offices?limit=1000")
      .then(function (collection) {
        var byId = {};
        CF.listOf(collection, ["features"]).forEach(function (f) {
          if (f && f.properties && f.properties.office_id) byId[f.properties.office_id] = f.properties;
        });
        offices = byId;
      })
      .catch(function () {
        offices = offices || {}; // names are a nicety: show ids rather than nothing
      });
  }

  function loadAlerts() {
    if (!alertsAvailable) return Promise.resolve({});
    return CF.getJSON("/alerts?limit=1000")
      .then(CF.fleet.groupAlerts)
      .catch(function (error) {
        if (error.status === 404) alertsAvailable = false;
        else throw error;
        return {};
      });
  }

  function refresh() {
    var names = offices === null || round % OFFICES_EVERY === 0 ? loadOffices() : null;
    round += 1;
    return Promise.all([CF.getJSON("/devices?limit=1000"), loadAlerts(), names]).then(function (answers) {
      var devices = CF.listOf(answers[0], ["devices", "items"]);
      var ctx = { offices: offices || {}, alertsByDevice: answers[1] };
      CF.fleet.renderDevices(table, devices, COLUMNS, ctx);
      var offline = devices.filter(function (d) {
        return !CF.fleet.isOnline(d);
      }).length;
      var alerting = devices.filter(function (d) {
        return CF.fleet.alertsOf(d, ctx.alertsByDevice).length > 0;
      }).length;
      CF.setStatus(
        t("fleet_summary", {
          n: devices.length,
          online: devices.length - offline,
          offline: offline,
          alerting: alerting,
        }),
        false
      );
      document.getElementById("updated").textContent = t("updated_at", {
        time: CF.absoluteTime(new Date()),
      });
      document.body.setAttribute("data-loaded", "true");
      document.body.setAttribute("data-refreshes", String(round));
    });
  }

  var form = document.getElementById("token-form");
  var input = document.getElementById("token-input");
  var forget = document.getElementById("token-forget");
  var timer = null;

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  function start() {
    form.hidden = true;
    forget.hidden = false;
    document.body.setAttribute("data-auth", "token");
    if (timer === null) timer = CF.every(REFRESH_S, guarded);
  }

  function askForToken(key) {
    stop();
    form.hidden = false;
    forget.hidden = true;
    document.body.setAttribute("data-auth", "needed");
    CF.setStatus(t(key), key !== "token_needed");
  }

  /** A refused or insufficient token stops the refreshes and asks again. */
  function guarded() {
    return refresh().catch(function (error) {
      if (error.status === 401 || error.status === 403) {
        askForToken(error.status === 401 ? "token_refused" : "token_forbidden");
        return;
      }
      throw error;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value.trim();
    if (!value) return;
    CF.setToken(value);
    input.value = "";
    start();
  });

  forget.addEventListener("click", function () {
    CF.setToken(null);
    CF.fleet.renderDevices(table, [], COLUMNS, { offices: {}, alertsByDevice: {} });
    askForToken("token_needed");
    input.focus();
  });

  if (CF.token()) start();
  else askForToken("token_needed");
})();
