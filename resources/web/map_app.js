/* Renewal Planner map.html: layers, legend, scale, search and popups.
 * ES5 on purpose (no let/const, arrow functions, spread or template strings): the page must run
 * in the older Chromium-based browsers of government PCs. The data are JSON blocks written by
 * planner/export/html_map.py (compact: see decode below); texts in them are HTML-escaped already. */
(function () {
  "use strict";
  var CFG = JSON.parse(document.getElementById("rp-config").textContent);
  var T = CFG.text;
  var map = L.map("map", {preferCanvas: true, zoomControl: true, attributionControl: false});
  var renderer = L.canvas({padding: 0.3});
  if (CFG.tiles) {
    L.tileLayer(CFG.tiles.url, {maxZoom: 19, attribution: CFG.tiles.attribution}).addTo(map);
  }

  function readData(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  // A data block (html_map.py's _features): n features; coordinates as integers of 10^-d
  // degrees, each the difference from the vertex before; per feature its parts (f), per part
  // its kind (k: 0 point, 1 line, 2 polygon) and rings (p), per ring its vertices (r), each
  // list absent when all its entries are 1; properties as columns (a list, or {k: values,
  // i: each row's index}). Returns the geometries as lat/lng arrays and a reader of
  // row i's properties.
  function decode(d) {
    var s = Math.pow(10, d.d), c = d.c, x = 0, y = 0, ci = 0, pi = 0, ri = 0;
    var geoms = new Array(d.n);
    for (var i = 0; i < d.n; i++) {
      var np = d.f ? d.f[i] : 1;
      var parts = [];
      for (var j = 0; j < np; j++, pi++) {
        var kind = typeof d.k === "number" ? d.k : d.k[pi];
        var nr = d.p ? d.p[pi] : 1;
        var rings = [];
        for (var r = 0; r < nr; r++, ri++) {
          var nv = d.r ? d.r[ri] : 1;
          var ring = new Array(nv);
          for (var v = 0; v < nv; v++) {
            x += c[ci++];
            y += c[ci++];
            ring[v] = [y / s, x / s];
          }
          rings.push(ring);
        }
        parts.push({kind: kind, rings: rings});
      }
      geoms[i] = parts;
    }
    var cols = d.props || {};
    function props(i) {
      var p = {};
      for (var name in cols) {
        if (Object.prototype.hasOwnProperty.call(cols, name)) {
          var col = cols[name];
          p[name] = col.i ? col.k[col.i[i]] : col[i];
        }
      }
      return p;
    }
    return {geoms: geoms, props: props};
  }

  // One feature's map layer from its parts (null without any).
  function featureLayer(parts, style, pointLayer) {
    if (!parts.length) { return null; }
    var kind = parts[0].kind, same = true, j;
    for (j = 1; j < parts.length; j++) { if (parts[j].kind !== kind) { same = false; } }
    if (same && kind === 2) {
      var polys = [];
      for (j = 0; j < parts.length; j++) { polys.push(parts[j].rings); }
      return L.polygon(polys.length === 1 ? polys[0] : polys, style);
    }
    if (same && kind === 1) {
      var lines = [];
      for (j = 0; j < parts.length; j++) { lines = lines.concat(parts[j].rings); }
      return L.polyline(lines.length === 1 ? lines[0] : lines, style);
    }
    if (parts.length === 1) { return pointLayer(parts[0].rings[0][0]); }
    var group = [];
    for (j = 0; j < parts.length; j++) {
      var one = featureLayer([parts[j]], style, pointLayer);
      if (one) { group.push(one); }
    }
    return L.featureGroup(group);
  }

  function popupHtml(p, fields) {
    var rows = "";
    for (var i = 0; i < fields.length; i++) {
      var v = p[fields[i][0]];
      if (v !== undefined && v !== null && v !== "") {
        rows += "<tr><th>" + fields[i][1] + "</th><td>" + v + "</td></tr>";
      }
    }
    return '<table class="rp-popup">' + rows + "</table>";
  }

  function styleOf(spec, p) {
    var c = p._c || "#666666";
    switch (spec.kind) {
      case "area":
        return {color: "#222222", weight: 1.6, dashArray: "8 3 2 3", fill: false};
      case "parcels":
        return {color: "#a8a8a8", weight: 0.6, fill: false};
      case "buildings":
        return {color: "#c4c4c4", weight: 0.4, fillColor: "#e2e2e2", fillOpacity: 1};
      case "roads":
        return {color: c, weight: p._w || 1, opacity: 1, lineCap: "round"};
      case "grid":
        return {color: c, weight: 0.5, fillColor: c, fillOpacity: p._o || 0.4};
      case "projects":
        return {color: c, weight: 2, opacity: 1, fillColor: c, fillOpacity: 0.35};
      default:
        return {color: c, weight: 1.4, opacity: 0.95, fillColor: c, fillOpacity: 0.45};
    }
  }

  var overlays = {};
  var specs = {};
  var searchIndex = [];
  window.rpLayers = overlays;
  window.rpMap = map;

  function makeLayer(spec) {
    if (spec.kind === "image") {
      return L.imageOverlay(spec.url, spec.bounds, {opacity: 1, interactive: false});
    }
    var data = decode(readData(spec.data));
    var layers = [];
    for (var i = 0; i < data.geoms.length; i++) {
      var layer = makeFeature(spec, data.geoms[i], data.props(i));
      if (layer) { layers.push(layer); }
    }
    return L.featureGroup(layers);
  }

  function makeFeature(spec, parts, p) {
    if (spec.kind === "labels") {
      return featureLayer(parts, {}, function (latlng) {
        return L.marker(latlng, {interactive: false, keyboard: false, icon: L.divIcon({
          className: "", iconSize: null,
          html: '<div class="rp-road-label" style="transform: translate(-50%, -50%) rotate(' + p.a +
            'deg)">' + p.name + "</div>"})});
      });
    }
    var style = styleOf(spec, p);
    style.renderer = renderer;
    var layer = featureLayer(parts, style, function (latlng) {
      return L.circleMarker(latlng, {renderer: renderer, radius: spec.kind === "projects" ? 6 : 4,
        color: "#333333", weight: 0.6, fillColor: p._c || "#666666", fillOpacity: 0.9});
    });
    if (!layer) { return null; }
    if (spec.kind === "roads") {
      if (p.name) { layer.bindTooltip(p.name, {sticky: true}); }
      return layer;
    }
    if (spec.fields && spec.fields.length) {
      layer.bindPopup(function () { return popupHtml(p, spec.fields); }, {maxWidth: 440});
    }
    if (spec.search && p.project_id) {
      searchIndex.push({id: p.project_id, name: p.name || "", layer: layer});
    }
    return layer;
  }

  // A layer with a minimum zoom: its group stays on the map (and checked), its content is
  // drawn only from that zoom on.
  function zoomGated(inner, minZoom) {
    var group = L.layerGroup();
    function update() {
      if (!map.hasLayer(group)) { return; }
      var show = map.getZoom() >= minZoom;
      if (show && !group.hasLayer(inner)) { group.addLayer(inner); }
      if (!show && group.hasLayer(inner)) { group.removeLayer(inner); }
    }
    map.on("zoomend", update);
    group.on("add", function () { setTimeout(update, 0); });
    return group;
  }

  CFG.layers.sort(function (a, b) { return a.order - b.order; });
  for (var i = 0; i < CFG.layers.length; i++) {
    var spec = CFG.layers[i];
    var layer = makeLayer(spec);
    if (spec.minZoom) { layer = zoomGated(layer, spec.minZoom); }
    overlays[spec.title] = layer;
    specs[spec.title] = spec;
    if (spec.show) { layer.addTo(map); }
  }
  L.control.layers(null, overlays, {collapsed: false, position: "topright"}).addTo(map);
  L.control.scale({metric: true, imperial: false, position: "bottomleft", maxWidth: 160}).addTo(map);

  // Legend: the entries of the layers on the map, in the layers' order.
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    this._div = L.DomUtil.create("div", "rp-box rp-legend");
    L.DomEvent.disableScrollPropagation(this._div);
    return this._div;
  };
  legend.update = function () {
    var html = "<h4>" + T.legend + "</h4>";
    for (var j = 0; j < CFG.layers.length; j++) {
      var s = CFG.layers[j];
      if (!s.legend || !s.legend.length || !map.hasLayer(overlays[s.title])) { continue; }
      html += '<div class="rp-group">' + s.title + "</div>";
      for (var k = 0; k < s.legend.length; k++) {
        var e = s.legend[k];
        var kind = e[2];
        var swatch = kind === "line" || kind === "dash" ?
          '<span class="rp-swatch ' + kind + '" style="border-top-color:' + e[1] + '"></span>' :
          '<span class="rp-swatch ' + kind + '" style="background:' + e[1] + (kind === "outline" ?
            ";border-color:" + e[1] : "") + '"></span>';
        html += '<div class="rp-item">' + swatch + e[0] + "</div>";
      }
    }
    this._div.innerHTML = html;
  };
  legend.addTo(map);
  legend.update();
  map.on("overlayadd overlayremove", function () { legend.update(); });

  // What the page holds (and what it summarises).
  var holds = L.control({position: "bottomleft"});
  holds.onAdd = function () {
    var div = L.DomUtil.create("div", "rp-box rp-holds");
    var items = "";
    for (var j = 0; j < CFG.holds.length; j++) { items += "<li>" + CFG.holds[j] + "</li>"; }
    div.innerHTML = "<details><summary><b>" + T.holds + "</b></summary><ul>" + items + "</ul></details>";
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  holds.addTo(map);

  // Search: project ids and names.
  var search = L.control({position: "topleft"});
  search.onAdd = function () {
    var div = L.DomUtil.create("div", "rp-box rp-search");
    var input = L.DomUtil.create("input", "", div);
    input.type = "search";
    input.placeholder = T.search;
    input.id = "rp-search";
    var list = L.DomUtil.create("ul", "", div);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    function show(hit) {
      var l = hit.layer;
      var group = null;
      for (var name in overlays) {
        if (Object.prototype.hasOwnProperty.call(overlays, name) && specs[name].search) { group = overlays[name]; }
      }
      if (group && !map.hasLayer(group)) { group.addTo(map); }
      if (l.getBounds) {
        map.fitBounds(l.getBounds(), {maxZoom: 17, padding: [40, 40]});
      } else if (l.getLatLng) {
        map.setView(l.getLatLng(), 17);
      }
      l.openPopup();
    }
    function update() {
      var q = input.value.replace(/^\s+|\s+$/g, "").toLowerCase();
      list.innerHTML = "";
      if (!q) { return; }
      var n = 0;
      for (var j = 0; j < searchIndex.length && n < 12; j++) {
        var hit = searchIndex[j];
        if (hit.id.toLowerCase().indexOf(q) >= 0 || hit.name.toLowerCase().indexOf(q) >= 0) {
          var li = L.DomUtil.create("li", "", list);
          li.innerHTML = "<b>" + hit.id + "</b> " + hit.name;
          li.onclick = (function (h) { return function () { show(h); }; })(hit);
          n++;
        }
      }
      if (!n) { list.innerHTML = "<li>" + T.none + "</li>"; }
    }
    L.DomEvent.on(input, "input", update);
    L.DomEvent.on(input, "keydown", function (ev) {
      if (ev.keyCode === 13 && list.firstChild && list.firstChild.onclick) { list.firstChild.onclick(); }
    });
    return div;
  };
  search.addTo(map);
  window.rpSearch = function (q) {
    var input = document.getElementById("rp-search");
    input.value = q;
    input.dispatchEvent(new Event("input"));
    return document.querySelectorAll(".rp-search li").length;
  };

  if (CFG.bounds) {
    map.fitBounds([[CFG.bounds[1], CFG.bounds[0]], [CFG.bounds[3], CFG.bounds[2]]]);
  } else {
    map.setView([35, 110], 4);
  }
})();
