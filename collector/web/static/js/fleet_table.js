/* Device rows, shared by the fleet page and the office page. Offline and alerting devices are
   marked with words and symbols as well as colour. */
(function () {
  "use strict";

  var CF = window.CF;
  var t = CF.t;
  var el = CF.el;
  // Values that need no attention; a counter without a GPS receiver ("absent") is normal.
  var OK_STATES = { reader: ["present"], panel: ["ok"], gps: ["fix", "absent"] };

  /** A heartbeat field, whether the API nests the heartbeat or spreads it on the device. */
  function field(device, name) {
    var hb = device.heartbeat || device.latest_heartbeat;
    if (device[name] !== undefined && device[name] !== null) return device[name];
    if (hb && typeof hb === "object") {
      var body = hb.body && typeof hb.body === "object" ? hb.body : hb;
      if (body[name] !== undefined) return body[name];
    }
    return null;
  }

  function missingCount(device) {
    var missing = device.missing_seqs;
    if (Array.isArray(missing)) return missing.length;
    return Number(missing) || 0;
  }

  /** {label, detail} of an alert: the kind in the page language, the server's detail as is. */
  function alertText(alert) {
    var kind = typeof alert === "string" ? alert : String(alert.kind || alert.code || "");
    var detail = typeof alert === "string" ? "" : String(alert.detail || alert.message || "");
    var key = "alert_" + kind;
    return { label: t(key) === key ? kind : t(key), detail: detail };
  }

  /** Alerts of a device: its own `alerts` plus those from the alert list for its id. */
  function alertsOf(device, alertsByDevice) {
    var own = Array.isArray(device.alerts) ? device.alerts : [];
    var listed = (alertsByDevice && alertsByDevice[device.device_id]) || [];
    var seen = {};
    return own.concat(listed).map(alertText).filter(function (alert) {
      var id = alert.label + "|" + alert.detail;
      if (!alert.label || seen[id]) return false;
      seen[id] = true;
      return true;
    });
  }

  function isOnline(device) {
    return device.online === true || device.online === "true";
  }

  function statusCell(device) {
    var online = isOnline(device);
    return el("td", { class: online ? "state-ok" : "state-bad" }, [
      el("span", { class: "badge " + (online ? "badge-ok" : "badge-bad") }, [
        (online ? "● " : "✕ ") + t(online ? "online" : "offline"),
      ]),
    ]);
  }

  function backlogCell(device) {
    var depth = field(device, "outbox_depth");
    var oldest = field(device, "outbox_oldest_s");
    if (depth === null) return el("td", { class: "muted", text: t("unknown") });
    var text = CF.number(depth);
    if (Number(depth) > 0 && oldest !== null) {
      text += " (" + t("backlog_oldest", { age: CF.duration(oldest) }) + ")";
    }
    return el("td", { class: Number(depth) > 0 ? "num state-warn" : "num", text: text });
  }

  function componentCell(device, name) {
    var value = field(device, name);
    if (value === null) return el("td", { class: "muted", text: t("unknown") });
    var ok = OK_STATES[name].indexOf(value) >= 0;
    var key = name + "_" + value;
    var label = t(key) === key ? String(value) : t(key);
    return el("td", { class: ok ? "" : "state-warn", text: (ok ? "" : "⚠ ") + label });
  }

  function clockCell(device) {
    var synced = field(device, "clock_synced");
    if (synced === null) return el("td", { class: "muted", text: t("unknown") });
    return el("td", {
      class: synced ? "" : "state-warn",
      text: synced ? t("clock_synced") : "⚠ " + t("clock_unsynced"),
    });
  }

  function alertsCell(alerts) {
    if (!alerts.length) return el("td", { class: "muted", text: t("no_alerts") });
    return el("td", { class: "state-bad" }, [
      el(
        "ul",
        { class: "alerts" },
        alerts.map(function (alert) {
          // The detail comes from the server in English; mark it so screen readers say it right.
          return el("li", {}, [
            "⚠ " + alert.label,
            alert.detail ? el("span", { class: "detail", lang: "en", text: " (" + alert.detail + ")" }) : null,
          ]);
        })
      ),
    ]);
  }

  var CELLS = {
    device: function (d) {
      return el("th", { scope: "row", class: "mono", text: d.device_id || "?" });
    },
    office: function (d, ctx) {
      var office = (ctx.offices && ctx.offices[d.office_id]) || null;
      if (!d.office_id) return el("td", { class: "muted", text: t("unknown") });
      return el("td", {}, [
        el("a", {
          href: "/offices/" + encodeURIComponent(d.office_id),
          text: office ? CF.nameOf(office) : d.office_id,
        }),
      ]);
    },
    status: statusCell,
    last_seen: function (d) {
      return el("td", {}, [CF.relativeTime(d.last_seen)]);
    },
    backlog: backlogCell,
    reader: function (d) {
      return componentCell(d, "reader");
    },
    panel: function (d) {
      return componentCell(d, "panel");
    },
    gps: function (d) {
      return componentCell(d, "gps");
    },
    clock: clockCell,
    last_seq: function (d) {
      var seq = CF.number(d.last_seq !== undefined ? d.last_seq : field(d, "last_seq"));
      return el("td", { class: "num", text: seq === null ? t("unknown") : seq });
    },
    missing: function (d) {
      var n = missingCount(d);
      return el("td", { class: n ? "num state-warn" : "num", text: (n ? "⚠ " : "") + n });
    },
    alerts: function (d, ctx) {
      return alertsCell(alertsOf(d, ctx.alertsByDevice));
    },
  };

  /** One <tr> for `device` with the given columns; ctx holds offices and alerts by id. */
  function deviceRow(device, columns, ctx) {
    var alerts = alertsOf(device, ctx.alertsByDevice);
    var classes = [];
    if (!isOnline(device)) classes.push("row-offline");
    if (alerts.length) classes.push("row-alert");
    var row = el("tr", {
      "data-device-id": device.device_id,
      "data-online": isOnline(device) ? "true" : "false",
      "data-alerts": String(alerts.length),
      class: classes.join(" "),
    });
    columns.forEach(function (name) {
      row.appendChild(CELLS[name](device, ctx));
    });
    return row;
  }

  /** Problems first (offline, then alerting), then by device id. */
  function sortDevices(devices, ctx) {
    function rank(d) {
      if (!isOnline(d)) return 0;
      return alertsOf(d, ctx.alertsByDevice).length ? 1 : 2;
    }
    return devices.slice().sort(function (a, b) {
      return rank(a) - rank(b) || String(a.device_id).localeCompare(String(b.device_id));
    });
  }

  /** Alert list answer → { device_id: [alert, ...] }. */
  function groupAlerts(answer) {
    var byDevice = {};
    CF.listOf(answer, ["alerts", "items"]).forEach(function (alert) {
      if (!alert) return;
      var id = alert.device_id;
      if (!id) return;
      (byDevice[id] = byDevice[id] || []).push(alert);
    });
    return byDevice;
  }

  /** Replaces the body of `table` with rows for `devices`. */
  function renderDevices(table, devices, columns, ctx) {
    var tbody = el(
      "tbody",
      {},
      sortDevices(devices, ctx).map(function (d) {
        return deviceRow(d, columns, ctx);
      })
    );
    if (!devices.length) {
      tbody.appendChild(
        el("tr", {}, [el("td", { colspan: columns.length, class: "muted", text: t("empty") })])
      );
    }
    CF.replaceBody(table, tbody, "data-device-id");
  }

  CF.fleet = {
    isOnline: isOnline,
    alertsOf: alertsOf,
    groupAlerts: groupAlerts,
    renderDevices: renderDevices,
  };
})();
