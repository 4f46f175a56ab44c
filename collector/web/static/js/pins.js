/* Leaflet maps of office pins. Works without tiles: then it draws a lat/lon grid and the
   province box, so markers still have a frame of reference on an offline machine. */
(function () {
  "use strict";

  var CF = window.CF;
  var SOURCES = { gps: "G", provisioned: "P", manual: "M" };
  var GRID_STEP = 0.5;

  /** A Leaflet map in `element` with tiles when configured, else a graticule. */
  function makeMap(element, options) {
    var cfg = CF.config;
    var map = L.map(element, {
      zoomSnap: 0.25,
      attributionControl: !!cfg.tileUrl,
      scrollWheelZoom: !(options && options.small),
    });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, {
        attribution: cfg.tileAttribution || "",
        maxZoom: cfg.tileMaxZoom || 18,
      }).addTo(map);
    } else {
      element.classList.add("no-tiles");
      drawGrid(map, cfg.bounds);
    }
    map.fitBounds(cfg.bounds);
    return map;
  }

  function drawGrid(map, bounds) {
    var south = Math.floor(bounds[0][0]) - 1;
    var west = Math.floor(bounds[0][1]) - 1;
    var north = Math.ceil(bounds[1][0]) + 1;
    var east = Math.ceil(bounds[1][1]) + 1;
    var line = { color: "#9aa5b1", weight: 1, opacity: 0.7, interactive: false };
    var grid = L.layerGroup().addTo(map);
    var lats = [];
    var lons = [];
    for (var lat = south; lat <= north; lat += GRID_STEP) {
      lats.push(lat);
      grid.addLayer(L.polyline([[lat, west], [lat, east]], line));
    }
    for (var lon = west; lon <= east; lon += GRID_STEP) {
      lons.push(lon);
      grid.addLayer(L.polyline([[south, lon], [north, lon]], line));
    }
    grid.addLayer(
      L.rectangle(bounds, {
        color: "#52606d",
        weight: 2,
        dashArray: "6 4",
        fill: false,
        interactive: false,
      })
    );
    // Labels sit on the visible left and bottom edges, wherever the map is moved.
    var labels = L.layerGroup().addTo(map);
    function placeLabels() {
      var view = map.getBounds();
      labels.clearLayers();
      lats.forEach(function (value) {
        if (value > view.getSouth() && value < view.getNorth()) {
          labels.addLayer(gridLabel([value, view.getWest()], value.toFixed(1) + "°N", "grid-label-lat"));
        }
      });
      lons.forEach(function (value) {
        if (value > view.getWest() && value < view.getEast()) {
          labels.addLayer(gridLabel([view.getSouth(), value], value.toFixed(1) + "°E", "grid-label-lon"));
        }
      });
    }
    map.on("moveend zoomend resize", placeLabels);
    map.whenReady(placeLabels);
  }

  function gridLabel(latlng, text, kind) {
    return L.marker(latlng, {
      interactive: false,
      keyboard: false,
      // `text` is a number and a degree sign we built: safe as HTML.
      icon: L.divIcon({ className: "grid-label " + kind, html: text, iconSize: null }),
    });
  }

  /** The pin source of a feature, one of gps/provisioned/manual (unknown ones show as manual). */
  function sourceOf(props) {
    var source = props && props.pin_source;
    return Object.prototype.hasOwnProperty.call(SOURCES, source) ? source : "manual";
  }

  /** [lat, lon] of a GeoJSON Point feature, or null when the office has no pin yet. */
  function latLngOf(feature) {
    var geometry = feature && feature.geometry;
    if (!geometry || geometry.type !== "Point" || !Array.isArray(geometry.coordinates)) return null;
    var lon = Number(geometry.coordinates[0]);
    var lat = Number(geometry.coordinates[1]);
    if (!isFinite(lat) || !isFinite(lon)) return null;
    return [lat, lon];
  }

  /** A marker for an office pin, shaped and lettered by source (not told by colour alone). */
  function officeMarker(feature, popup) {
    var latlng = latLngOf(feature);
    var props = feature.properties || {};
    var source = sourceOf(props);
    var name = CF.nameOf(props);
    var icon = L.divIcon({
      className: "office-pin pin pin-" + source,
      html: SOURCES[source],
      iconSize: [22, 22],
      iconAnchor: [11, 11],
      popupAnchor: [0, -10],
    });
    var marker = L.marker(latlng, { icon: icon, title: name, keyboard: true, riseOnHover: true });
    marker.on("add", function () {
      var node = marker.getElement();
      if (!node) return;
      node.setAttribute("data-office-id", props.office_id || "");
      node.setAttribute("aria-label", name + " (" + CF.t("pin_" + source) + ")");
    });
    if (popup) marker.bindPopup(popup);
    return marker;
  }

  /** A light circle showing the pin's stated accuracy, when it has one. */
  function accuracyCircle(feature) {
    var props = feature.properties || {};
    var accuracy = Number(props.accuracy_m);
    if (!props.accuracy_m || !isFinite(accuracy) || accuracy <= 0) return null;
    return L.circle(latLngOf(feature), {
      radius: accuracy,
      color: "#3e4c59",
      weight: 1,
      fillOpacity: 0.08,
      interactive: false,
    });
  }

  CF.pins = {
    makeMap: makeMap,
    sourceOf: sourceOf,
    latLngOf: latLngOf,
    officeMarker: officeMarker,
    accuracyCircle: accuracyCircle,
    letter: function (source) {
      return SOURCES[source] || "?";
    },
  };
})();
