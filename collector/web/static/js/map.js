/* The office map page: pins on the map and the same offices as a table beside it. */
(function () {
  "use strict";

  var CF = window.CF;
  var t = CF.t;
  var el = CF.el;
  var REFRESH_S = 15;

  var map = CF.pins.makeMap(document.getElementById("map"));
  var pinLayer = L.layerGroup().addTo(map);
  var fitted = false;

  function deviceCount(props) {
    var devices = props.devices;
    if (Array.isArray(devices)) return devices.length;
    if (devices && typeof devices === "object") {
      return Number(devices.total !== undefined ? devices.total : devices.count) || 0;
    }
    return Number(devices) || 0;
  }

  /** Pin flags in words: "far_from_registered", "outside_province", "shared_pin:<office>". */
  function flagsOf(props) {
    var flags = Array.isArray(props.flags) ? props.flags : [];
    return flags.map(function (flag) {
      var parts = String(flag).split(":");
      var key = "flag_" + parts[0];
      return t(key) === key ? String(flag) : t(key, { other: parts.slice(1).join(":") });
    });
  }

  function officeLink(props) {
    return el("a", {
      href: "/offices/" + encodeURIComponent(props.office_id || ""),
      text: CF.nameOf(props),
    });
  }

  function popupFor(props) {
    var source = CF.pins.sourceOf(props);
    var accuracy = CF.number(props.accuracy_m);
    return el("div", { class: "popup" }, [
      el("strong", {}, [officeLink(props)]),
      el("br"),
      t("pin_" + source) + (accuracy ? " ± " + t("metres", { n: accuracy }) : ""),
      el("br"),
      t("col_devices") + ": " + deviceCount(props),
    ]);
  }

  function sourceCell(props, pinned) {
    if (!pinned) return el("td", { class: "muted", text: t("pin_none") });
    var source = CF.pins.sourceOf(props);
    return el("td", {}, [
      el("span", {
        class: "pin pin-" + source,
        "aria-hidden": "true",
        text: CF.pins.letter(source),
      }),
      " " + t("pin_" + source),
    ]);
  }

  function officeRow(feature) {
    var props = feature.properties || {};
    var pinned = CF.pins.latLngOf(feature) !== null;
    var accuracy = CF.number(props.accuracy_m);
    var flags = flagsOf(props);
    return el("tr", { "data-office-id": props.office_id, class: flags.length ? "row-flagged" : "" }, [
      el("th", { scope: "row" }, [officeLink(props)]),
      sourceCell(props, pinned),
      el("td", { class: "num", text: accuracy ? t("metres", { n: accuracy }) : t("unknown") }),
      el("td", { class: "num", text: String(deviceCount(props)) }),
      el("td", { text: flags.length ? "⚑ " + flags.join(", ") : t("unknown") }),
    ]);
  }

  function render(collection) {
    var features = CF.listOf(collection, ["features"]).filter(function (f) {
      return f && f.properties && f.properties.office_id;
    });
    features.sort(function (a, b) {
      return CF.nameOf(a.properties).localeCompare(CF.nameOf(b.properties), CF.config.lang);
    });

    pinLayer.clearLayers();
    var pinned = [];
    features.forEach(function (feature) {
      var latlng = CF.pins.latLngOf(feature);
      if (!latlng) return;
      pinned.push(latlng);
      var circle = CF.pins.accuracyCircle(feature);
      if (circle) pinLayer.addLayer(circle);
      pinLayer.addLayer(CF.pins.officeMarker(feature, popupFor(feature.properties)));
    });
    if (!fitted && pinned.length) {
      map.fitBounds(L.latLngBounds(pinned).pad(0.1), { maxZoom: 13 });
      fitted = true;
    }

    var tbody = el("tbody", {}, features.map(officeRow));
    if (!features.length) {
      tbody.appendChild(el("tr", {}, [el("td", { colspan: 5, class: "muted", text: t("empty") })]));
    }
    CF.replaceBody(document.getElementById("offices"), tbody, "data-office-id");
    CF.setStatus(t("offices_count", { n: features.length, pinned: pinned.length }), false);
    document.body.setAttribute("data-loaded", "true");
  }

  CF.every(REFRESH_S, function () {
    return CF.getJSON("/offices?limit=1000").then(render);
  });
})();
