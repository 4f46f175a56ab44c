/* One office: satisfaction summary for a chosen period, its devices, its pin. */
(function () {
  "use strict";

  var CF = window.CF;
  var t = CF.t;
  var el = CF.el;
  var officeId = CF.config.officeId;
  var DAY_MS = 86400000;
  var ICT_OFFSET_MS = 7 * 3600000; // Thailand has no daylight saving time
  var PERIOD_DAYS = { today: 1, "7d": 7, "30d": 30 };
  // With a fleet token the device table shows the fleet view; without, the public columns.
  var DEVICE_COLUMNS = ["device", "status", "last_seen", "backlog", "reader", "panel", "gps", "alerts"];
  var PUBLIC_COLUMNS = ["device", "status"];
  var REFRESH_S = 30;
  var map = null;

  /** RFC 3339 at local midnight (ICT) `days - 1` days before today, and now. */
  function periodRange(period) {
    var days = PERIOD_DAYS[period] || 1;
    var now = Date.now();
    var ictMidnight = Math.floor((now + ICT_OFFSET_MS) / DAY_MS) * DAY_MS - ICT_OFFSET_MS;
    var from = new Date(ictMidnight - (days - 1) * DAY_MS);
    return { from: ictIso(from), to: ictIso(new Date(now)) };
  }

  function ictIso(date) {
    return new Date(date.getTime() + ICT_OFFSET_MS).toISOString().replace(/\.\d+Z$/, "+07:00");
  }

  function selectedPeriod() {
    var checked = document.querySelector('input[name="period"]:checked');
    return checked ? checked.value : "today";
  }

  /** Summary answer → [{label, score, count}, ...] from best to worst, zeros filled in.
      Each scale in use (3, 4 or 5 points) gets its own rows: raw scores of different scales
      are not comparable. */
  function scoreRows(summary) {
    var byScale = summary.by_scale || {};
    var scales = Object.keys(byScale).map(Number).sort(function (a, b) {
      return b - a;
    });
    if (!scales.length) scales = [Number(summary.scale) || 5];
    var rows = [];
    scales.forEach(function (scale) {
      var counts = (byScale[scale] && byScale[scale].counts) || (scales.length === 1 ? summary.counts || {} : {});
      for (var score = scale; score >= 1; score--) {
        var raw = summary.suppressed ? null : counts[score];
        rows.push({
          label: scales.length > 1 ? t("score_of", { n: score, scale: scale }) : t("score", { n: score }),
          score: score,
          // null: hidden by the public summary (fewer than k); absent: zero
          count: raw === null ? null : Number(raw) || 0,
        });
      }
    });
    return rows;
  }

  function renderPrivacy(summary) {
    var note = document.getElementById("privacy");
    var privacy = summary.privacy;
    note.hidden = !privacy;
    if (!privacy) return;
    var upTo = privacy.to ? CF.absoluteTime(new Date(privacy.to)) : "?";
    note.textContent = t("privacy_public", { to: upTo, k: privacy.k });
  }

  function renderSummary(summary) {
    renderPrivacy(summary);
    var k = summary.privacy ? summary.privacy.k : 0;
    var hidden = t("hidden_count", { k: k });
    var rows = scoreRows(summary);
    var total = Number(summary.total) || 0;
    var mean = CF.number(summary.mean, 2);
    var share = summary.verified_share;
    document.getElementById("mean").textContent = mean === null ? t("unknown") : t("mean_of", { mean: mean });
    document.getElementById("verified").textContent =
      share === null || share === undefined ? t("unknown") : CF.number(Number(share) * 100, 0) + "%";
    document.getElementById("total").textContent =
      summary.total === null ? hidden : CF.number(total);

    var biggest = Math.max.apply(
      null,
      rows.map(function (r) {
        return r.count || 0;
      }).concat([1])
    );
    var tbody = el(
      "tbody",
      {},
      rows.map(function (row) {
        if (row.count === null) {
          return el("tr", { "data-score": row.score, "data-hidden": "true" }, [
            el("th", { scope: "row", text: row.label }),
            el("td", { class: "num muted", text: hidden }),
            el("td", { class: "muted", text: "—" }),
          ]);
        }
        var pct = total ? Math.round((row.count / total) * 100) : 0;
        var bar = el("span", { class: "bar-fill" });
        bar.style.width = ((row.count / biggest) * 100).toFixed(1) + "%";
        return el("tr", { "data-score": row.score }, [
          el("th", { scope: "row", text: row.label }),
          el("td", { class: "num", text: CF.number(row.count) }),
          el("td", {}, [el("span", { class: "bar", "aria-hidden": "true" }, [bar]), " " + pct + "%"]),
        ]);
      })
    );
    if (!total && summary.total !== null) {
      tbody.appendChild(el("tr", {}, [el("td", { colspan: 3, class: "muted", text: t("no_ratings") })]));
    }
    var table = document.getElementById("scores");
    table.replaceChild(tbody, table.tBodies[0]);
  }

  function loadSummary() {
    var period = selectedPeriod();
    var range = periodRange(period);
    var query =
      "/ratings/summary?office_id=" + encodeURIComponent(officeId) +
      "&from=" + encodeURIComponent(range.from) +
      "&to=" + encodeURIComponent(range.to);
    return CF.getJSON(query).then(function (summary) {
      renderSummary(summary);
      document.getElementById("scores").setAttribute("data-period", period);
    });
  }

  function renderOffice(feature) {
    var props = feature.properties;
    var name = CF.nameOf(props);
    document.getElementById("office-name").textContent = name;
    document.title = name + " · " + t("site_title");
    var latlng = CF.pins.latLngOf(feature);
    var pinText = document.getElementById("pin-text");
    if (!latlng) {
      pinText.textContent = t("pin_none");
      return feature;
    }
    var source = CF.pins.sourceOf(props);
    var accuracy = CF.number(props.accuracy_m);
    pinText.textContent =
      t("coordinates") + ": " + latlng[0].toFixed(5) + ", " + latlng[1].toFixed(5) +
      " · " + t("pin_" + source) + (accuracy ? " ± " + t("metres", { n: accuracy }) : "");
    if (!map) map = CF.pins.makeMap(document.getElementById("map"), { small: true });
    map.eachLayer(function (layer) {
      if (layer.options && layer.options.officePin) map.removeLayer(layer);
    });
    var marker = CF.pins.officeMarker(feature);
    marker.options.officePin = true;
    marker.addTo(map);
    var circle = CF.pins.accuracyCircle(feature);
    if (circle) {
      circle.options.officePin = true;
      circle.addTo(map);
    }
    // Without tiles a close view is empty: show the district in its province grid instead.
    map.setView(latlng, CF.config.tileUrl ? 13 : 9);
    return feature;
  }

  function loadOffice() {
    return CF.getJSON("/offices/" + encodeURIComponent(officeId))
      .then(renderOffice)
      .catch(function (error) {
        if (error.status !== 404) throw error;
        CF.setStatus(t("not_found"), true);
        return null;
      });
  }

  function loadDevices() {
    return Promise.all([
      CF.getJSON("/devices?limit=1000"),
      CF.token()
        ? CF.getJSON("/alerts?limit=1000").catch(function () {
            return {}; // alerts are extra here; the fleet page reports their failure
          })
        : {},
    ]).then(function (answers) {
      var fleet = answers[0] && answers[0].view === "fleet";
      var devices = CF.listOf(answers[0], ["devices", "items"]).filter(function (d) {
        return d && d.office_id === officeId;
      });
      var table = document.getElementById("fleet");
      Array.prototype.forEach.call(table.querySelectorAll("th[data-fleet-only]"), function (th) {
        th.hidden = !fleet;
      });
      CF.fleet.renderDevices(table, devices, fleet ? DEVICE_COLUMNS : PUBLIC_COLUMNS, {
        offices: {},
        alertsByDevice: CF.fleet.groupAlerts(answers[1]),
      });
    });
  }

  function refresh() {
    return Promise.all([loadOffice(), loadSummary(), loadDevices()]).then(function (answers) {
      if (answers[0]) CF.setStatus(t("updated_at", { time: CF.absoluteTime(new Date()) }), false);
      document.body.setAttribute("data-loaded", "true");
    });
  }

  var PERIOD_KEY = "cf_period";
  try {
    var remembered = window.localStorage.getItem(PERIOD_KEY);
    var input = remembered && document.querySelector('input[name="period"][value="' + remembered + '"]');
    if (input && PERIOD_DAYS[remembered]) input.checked = true;
  } catch (ignored) {
    /* no storage: start with today */
  }

  document.getElementById("period").addEventListener("change", function () {
    try {
      window.localStorage.setItem(PERIOD_KEY, selectedPeriod());
    } catch (ignored) {
      /* no storage: the choice lasts for this page only */
    }
    loadSummary().catch(function (error) {
      CF.setStatus(t("load_error", { detail: error.message }), true);
    });
  });

  CF.every(REFRESH_S, refresh);
})();
