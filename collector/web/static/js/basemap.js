/* Offline base map: when no tile server is configured, every map made by CF.pins.makeMap gets
   the province and district boundaries of Thailand with their names under its pins
   (static/basemap/thailand-boundaries.json, HDX COD-AB via mapthai: see SOURCE.md there). */
(function () {
  "use strict";

  var CF = window.CF;
  if (!CF || !CF.pins || CF.config.tileUrl) return;
  var URL = "/static/basemap/thailand-boundaries.json";
  var DISTRICT_LABEL_ZOOM = 9;
  var ATTRIBUTION = "Boundaries: RTSD via OCHA/HDX (CC BY-IGO), mapthai (MIT)";
  var loading = null;

  function data() {
    if (!loading) {
      loading = fetch(URL, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    }
    return loading;
  }

  function labels(features, className) {
    return L.layerGroup(
      features.map(function (f) {
        var p = f.properties;
        return L.marker([p.label[1], p.label[0]], {
          interactive: false,
          keyboard: false,
          icon: L.divIcon({ className: "basemap-label " + className, html: "", iconSize: null }),
        }).on("add", function (event) {
          var node = event.target.getElement();
          if (node) node.textContent = CF.nameOf(p);
        });
      })
    );
  }

  function addTo(map) {
    map.createPane("basemap");
    map.getPane("basemap").style.zIndex = 250; // under markers (600) and overlays (400)
    data()
      .then(function (d) {
        var districts = L.geoJSON(d.districts, {
          pane: "basemap",
          interactive: false,
          style: { color: "#9aa5b1", weight: 0.6, fill: false },
        }).addTo(map);
        L.geoJSON(d.provinces, {
          pane: "basemap",
          interactive: false,
          style: { color: "#52606d", weight: 1.4, fill: true, fillColor: "#f5f7fa", fillOpacity: 0.6 },
        }).addTo(map);
        var provinceLabels = labels(d.provinces.features, "basemap-province").addTo(map);
        var districtLabels = labels(d.districts.features, "basemap-district");
        function byZoom() {
          var zoom = map.getZoom();
          if (zoom >= DISTRICT_LABEL_ZOOM) {
            map.addLayer(districtLabels);
            map.removeLayer(provinceLabels);
          } else {
            map.removeLayer(districtLabels);
            map.addLayer(provinceLabels);
          }
        }
        map.on("zoomend", byZoom);
        byZoom();
        if (map.attributionControl) map.attributionControl.addAttribution(ATTRIBUTION);
        else L.control.attribution({ prefix: false }).addAttribution(ATTRIBUTION).addTo(map);
        map.getContainer().setAttribute("data-basemap", "loaded");
        districts.bringToBack();
      })
      .catch(function () {
        map.getContainer().setAttribute("data-basemap", "unavailable");
      });
  }

  var makeMap = CF.pins.makeMap;
  CF.pins.makeMap = function (element, options) {
    var map = makeMap(element, options);
    addTo(map);
    return map;
  };
})();
