/* Cixi digital cockpit: draws ECharts from the specs the server embeds (data-chart) and refreshes
   the big screen from its JSON twin without reloading the page. No data is invented here. */
(function () {
  "use strict";
  var charts = [];
  var dark = function () { return document.body.classList.contains("screen"); };
  var PALETTE = ["#0b6fd6", "#e07b00", "#1f8a4c", "#8e44ad", "#c0392b", "#16a5a5", "#7f8c8d"];

  function toolbox(spec) {
    return { show: true, right: 8, feature: { saveAsImage: { title: spec.save_label || "PNG", name: spec.file || "chart", pixelRatio: 2 } } };
  }

  function indicatorOption(spec) {
    var series = [{ name: spec.names.actual, type: "line", data: spec.actual, symbolSize: 8, connectNulls: false,
      lineStyle: { width: 3 }, label: { show: true, position: "top", formatter: function (p) { return p.value == null ? "" : p.value; } } }];
    if (spec.projection && spec.projection.length) {
      series.push({ name: spec.names.projection, type: "line", data: spec.projection, lineStyle: { type: "dashed" }, symbol: "emptyCircle", connectNulls: true });
    }
    var lines = [];
    if (spec.target != null) lines.push({ name: spec.names.target, yAxis: spec.target, lineStyle: { color: "#c0392b", type: "solid", width: 2 }, label: { formatter: spec.names.target + " {c}" } });
    if (spec.baseline != null) lines.push({ name: spec.names.baseline, yAxis: spec.baseline, lineStyle: { color: "#7f8c8d", type: "dotted", width: 2 }, label: { formatter: spec.names.baseline + " {c}" } });
    series[0].markLine = { symbol: "none", silent: true, data: lines };
    (spec.extra || []).forEach(function (s) { series.push(s); });  /* earlier plan, gap band, path needed */
    return { color: PALETTE, tooltip: { trigger: "axis" }, legend: { top: 0 }, toolbox: toolbox(spec),
      grid: { left: 60, right: 90, top: 40, bottom: 30 },
      xAxis: { type: "category", data: spec.years.map(String) },
      yAxis: { type: "value", name: spec.unit || "", scale: true, min: spec.y_min, max: spec.y_max }, series: series };
  }

  function barsOption(spec) {
    var cat = { type: "category", data: spec.categories, axisLabel: { interval: 0, width: 90, overflow: "truncate" } };
    var val = { type: "value", name: spec.unit || "", max: spec.max == null ? null : spec.max };
    return { color: PALETTE, tooltip: { trigger: "axis" }, legend: spec.series.length > 1 ? { top: 0 } : undefined, toolbox: toolbox(spec),
      grid: { left: spec.horizontal ? 120 : 50, right: 30, top: spec.series.length > 1 ? 40 : 30, bottom: 40, containLabel: false },
      xAxis: spec.horizontal ? val : cat, yAxis: spec.horizontal ? cat : val,
      series: spec.series.map(function (s) { return { name: s.name, type: "bar", data: s.values, stack: spec.stack ? "all" : undefined, barMaxWidth: 28,
        itemStyle: s.color ? { color: s.color } : undefined }; }) };
  }

  function lineOption(spec) {
    return { color: PALETTE, tooltip: { trigger: "axis" }, legend: { top: 0 }, toolbox: toolbox(spec),
      grid: { left: 50, right: 30, top: 40, bottom: 40 },
      xAxis: { type: "category", data: spec.x }, yAxis: { type: "value", name: spec.unit || "" },
      series: spec.series.map(function (s) { return { name: s.name, type: "line", data: s.values, smooth: false, areaStyle: spec.area ? {} : undefined }; }) };
  }

  function gaugeOption(spec) {
    return { toolbox: toolbox(spec), series: [{ type: "gauge", min: 0, max: spec.max || 100, progress: { show: true, width: 14 },
      splitNumber: 5, axisTick: { show: false }, splitLine: { length: 8, distance: 2 },
      axisLabel: { distance: 20, fontSize: 10 }, pointer: { width: 4, length: "55%" },
      axisLine: { lineStyle: { width: 14 } }, detail: { valueAnimation: false, formatter: "{value}", fontSize: 24, offsetCenter: [0, "35%"] },
      title: { offsetCenter: [0, "75%"] }, data: [{ value: spec.value, name: spec.name || "" }] }] };
  }

  function pieOption(spec) {
    return { color: PALETTE, tooltip: { trigger: "item" }, legend: { bottom: 0, type: "scroll" }, toolbox: toolbox(spec),
      series: [{ type: "pie", radius: ["35%", "65%"], data: spec.data, label: { formatter: "{b}\n{c}" } }] };
  }

  var BUILDERS = { indicator: indicatorOption, bars: barsOption, line: lineOption, gauge: gaugeOption, pie: pieOption };

  function draw(el) {
    if (!window.echarts || !el.dataset.chart) return;
    var spec = JSON.parse(el.dataset.chart);
    var build = BUILDERS[spec.kind];
    if (!build) return;
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, dark() ? "dark" : null, { renderer: "canvas" });
    var option = build(spec);
    if (dark()) option.backgroundColor = "transparent";
    option.animation = false;
    chart.setOption(option, true);
    el.dataset.drawn = "1";
    if (charts.indexOf(chart) < 0) charts.push(chart);
  }

  function drawAll(root) { (root || document).querySelectorAll("[data-chart]").forEach(draw); }

  function bindValues(data) {
    document.querySelectorAll("[data-bind]").forEach(function (el) {
      var value = el.dataset.bind.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, data);
      if (value != null) el.textContent = value;
    });
    document.querySelectorAll("[data-chart-key]").forEach(function (el) {
      var spec = data.charts && data.charts[el.dataset.chartKey];
      if (spec) { el.dataset.chart = JSON.stringify(spec); draw(el); }
    });
  }

  function startRefresh() {
    var host = document.querySelector("[data-refresh-url]");
    if (!host) return;
    var every = Math.max(5, parseInt(host.dataset.refreshSeconds || "30", 10)) * 1000;
    var tick = function () {
      fetch(host.dataset.refreshUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { bindValues(data); host.dataset.refreshed = String(Date.now()); } })
        .catch(function () { /* keep showing the last figures; next tick retries */ });
    };
    setInterval(tick, every);
    host.refreshNow = tick;
  }

  function clock() {
    var el = document.querySelector("[data-clock]");
    if (!el) return;
    var show = function () { var d = new Date(); el.textContent = d.toLocaleString(document.documentElement.lang || "zh-CN", { hour12: false }); };
    show(); setInterval(show, 1000);
  }

  function init() {
    drawAll(document);
    startRefresh();
    clock();
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
