/* The service page's map and "nearest offices" list. The page itself (steps, documents, where
   offered) is rendered by the server; this only adds distance, directions and the map. */
(function () {
  "use strict";

  var CF = window.CF;
  var t = CF.t;
  var el = CF.el;
  var serviceId = CF.config.serviceId;
  var mapEl = document.getElementById("map");
  if (!mapEl || !serviceId) return;

  var map = CF.pins.makeMap(mapEl, { small: true });
  var pinLayer = L.layerGroup().addTo(map);
  var originLayer = L.layerGroup().addTo(map);

  function when(iso) {
    if (!iso) return "";
    return CF.absoluteTime(new Date(iso));
  }

  function openText(item) {
    if (item.open_now === null || item.open_now === undefined) return t("hours_unknown");
    if (item.open_now) return t("open_now", { t: when(item.closes_at) });
    if (item.opens_at) return t("closed_opens", { t: when(item.opens_at) });
    return t("closed");
  }

  function pinText(pin) {
    var text = t("pin_source_" + pin.source);
    if (pin.accuracy_m) text += ", " + t("pin_accuracy", { n: CF.number(pin.accuracy_m, 0) });
    return text;
  }

  function directionLinks(links) {
    var names = { geo: "dir_geo", openstreetmap: "dir_osm", google_maps: "dir_google", longdo_map: "dir_longdo" };
    return el(
      "span",
      { class: "directions" },
      [t("directions") + ": "].concat(
        Object.keys(names).map(function (key) {
          return el("a", { href: links[key], rel: "noopener noreferrer", "data-link": key, text: t(names[key]) });
        })
      )
    );
  }

  function drawPins(items) {
    pinLayer.clearLayers();
    items.forEach(function (item) {
      var feature = {
        geometry: { type: "Point", coordinates: [item.pin.lon, item.pin.lat] },
        properties: { office_id: item.office_id, name_th: item.name_th, name_en: item.name_en, pin_source: item.pin.source, accuracy_m: item.pin.accuracy_m },
      };
      var marker = CF.pins.officeMarker(feature);
      if (marker) marker.addTo(pinLayer);
    });
  }

  function renderNearest(items) {
    var list = document.getElementById("nearest");
    var fresh = el(
      "ol",
      { class: "nearest", id: "nearest", "aria-labelledby": "nearest-heading" },
      items.map(function (item) {
        return el("li", { "data-office-id": item.office_id }, [
          el("a", { href: "/offices/" + encodeURIComponent(item.office_id), text: CF.nameOf(item) }),
          " · ",
          el("strong", { text: t("distance_km", { n: CF.number(item.distance_m / 1000, 1) }) }),
          el("br"),
          el("small", { text: openText(item) }),
          el("br"),
          el("small", { class: "muted", text: pinText(item.pin) }),
          el("br"),
          directionLinks(item.directions),
        ]);
      })
    );
    list.parentNode.replaceChild(fresh, list);
    document.getElementById("nearest-heading").hidden = false;
  }

  function load(lat, lon, fromUser) {
    CF.setStatus(t("nearest_loading"), false);
    var path = "/nearest?service_id=" + encodeURIComponent(serviceId) + "&lat=" + lat.toFixed(5) + "&lon=" + lon.toFixed(5) + "&limit=" + (fromUser ? 10 : 100);
    return CF.getJSON(path)
      .then(function (answer) {
        var items = CF.listOf(answer, ["items"]);
        CF.setStatus("", false);
        if (fromUser) {
          renderNearest(items);
          originLayer.clearLayers();
          L.circleMarker([lat, lon], { radius: 6, color: "#1f6feb" }).addTo(originLayer);
        } else {
          drawPins(items);
          var points = items.map(function (i) {
            return [i.pin.lat, i.pin.lon];
          });
          if (points.length) map.fitBounds(points, { maxZoom: 13, padding: [20, 20] });
        }
        document.body.setAttribute("data-loaded", "true");
      })
      .catch(function (error) {
        CF.setStatus(t("nearest_error", { detail: error && error.message ? error.message : "?" }), true);
        document.body.setAttribute("data-loaded", "error");
      });
  }

  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) {
      CF.setStatus(t("location_denied"), true);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (position) {
        load(position.coords.latitude, position.coords.longitude, true);
      },
      function () {
        CF.setStatus(t("location_denied"), true);
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 }
    );
  });

  map.on("click", function (event) {
    load(event.latlng.lat, event.latlng.lng, true);
  });

  var bounds = CF.config.bounds;
  load((bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2, false);
})();
