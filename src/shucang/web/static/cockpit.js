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

  /* A saved PNG stands alone: it carries the chart's title and its target, drawn into the image. */
  function savePng(el, spec) {
    var chart = window.echarts.getInstanceByDom(el);
    if (!chart) return;
    var before = chart.getOption();
    var title = spec.title || el.getAttribute("aria-label") || "";
    var target = spec.target != null ? ((spec.names && spec.names.target) || "Target") + " " + spec.target + (spec.unit ? " " + spec.unit : "") : "";
    var top = function (v) { return (typeof v === "number" ? v : 40) + 56; };
    chart.setOption({ title: { show: true, text: title, subtext: target, left: "center", top: 4, textStyle: { fontSize: 16 } },
      toolbox: { show: false }, legend: before.legend && before.legend.length ? { top: 56 } : undefined,
      grid: before.grid && before.grid.length ? { top: top(before.grid[0].top) } : undefined });
    var url = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: dark() ? "#06122b" : "#ffffff" });
    chart.setOption({ title: { show: false }, toolbox: { show: true },
      legend: before.legend && before.legend.length ? { top: before.legend[0].top } : undefined,
      grid: before.grid && before.grid.length ? { top: before.grid[0].top } : undefined });
    var link = document.createElement("a");
    link.href = url; link.download = (spec.file || "chart") + ".png";
    document.body.appendChild(link); link.click(); link.remove();
    el.dataset.savedTitle = title;
  }

  function saveTool(spec, el) {
    return { show: true, right: 8, feature: { mySavePng: { show: true, title: spec.save_label || "PNG",
      icon: "path://M4 18h16v2H4zM11 3h2v9.2l3.3-3.3 1.4 1.4L12 16 6.3 10.3l1.4-1.4L11 12.2z",
      onclick: function () { savePng(el, spec); } } } };
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
    /* a progress ring with the value in its centre: no needle can cover the figure */
    return { toolbox: toolbox(spec), series: [{ type: "gauge", min: 0, max: spec.max || 100, radius: "90%",
      progress: { show: true, width: 16 }, pointer: { show: false }, anchor: { show: false },
      splitNumber: 5, axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
      axisLine: { lineStyle: { width: 16 } },
      detail: { valueAnimation: false, formatter: "{value}", fontSize: 30, fontWeight: "bold", offsetCenter: [0, "0%"] },
      title: { offsetCenter: [0, "42%"], fontSize: 14 }, data: [{ value: spec.value, name: spec.name || "" }] }] };
  }

  function pieOption(spec) {
    return { color: PALETTE, tooltip: { trigger: "item" }, legend: { bottom: 0, type: "scroll" }, toolbox: toolbox(spec),
      series: [{ type: "pie", radius: ["35%", "65%"], data: spec.data, label: { formatter: "{b}\n{c}" } }] };
  }

  /* The wall is read from metres away: every chart text at least 18 design pixels. */
  var WALL = 18;
  function big(o, size) { if (o) { o.fontSize = Math.max(o.fontSize || 0, size || WALL); } return o; }
  function wallText(option) {
    option.textStyle = big(option.textStyle || {}, WALL);
    if (option.legend) { option.legend.textStyle = big(option.legend.textStyle || {}, WALL); option.legend.itemHeight = 16; }
    option.tooltip = option.tooltip || {}; option.tooltip.textStyle = big(option.tooltip.textStyle || {}, WALL);
    if (option.toolbox) option.toolbox.show = false;
    [].concat(option.xAxis || [], option.yAxis || []).forEach(function (a) {
      a.axisLabel = big(a.axisLabel || {}, WALL); a.nameTextStyle = big(a.nameTextStyle || {}, WALL);
      if (a.type === "category" && a.axisLabel.width) a.axisLabel.width = 150;
    });
    if (option.grid) { option.grid.containLabel = true; option.grid.left = 8; option.grid.right = 24; option.grid.bottom = 8; }
    (option.series || []).forEach(function (s) {
      if (s.label) big(s.label, WALL);
      if (s.type === "gauge") {
        /* no needle over the value: a progress ring with the value in its centre */
        s.pointer = { show: false }; s.anchor = { show: false }; s.radius = "92%"; s.center = ["50%", "52%"];
        s.progress = { show: true, width: 18 }; s.axisLine = { lineStyle: { width: 18 } };
        s.axisLabel = { show: false }; s.splitLine = { show: false };
        s.detail = { valueAnimation: false, formatter: "{value}", fontSize: 44, fontWeight: "bold", color: "#fff", offsetCenter: [0, "0%"] };
        s.title = { fontSize: 20, color: "#9fb6da", offsetCenter: [0, "45%"] };
      }
    });
    return option;
  }

  var BUILDERS = { indicator: indicatorOption, bars: barsOption, line: lineOption, gauge: gaugeOption, pie: pieOption };

  function draw(el) {
    if (!window.echarts || !el.dataset.chart) return;
    var spec = JSON.parse(el.dataset.chart);
    var build = BUILDERS[spec.kind];
    if (!build) return;
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, dark() ? "dark" : null,
      { renderer: "canvas", devicePixelRatio: (window.devicePixelRatio || 1) * stageScale });
    var option = build(spec);
    if (option.toolbox) option.toolbox = saveTool(spec, el);
    el.savePng = function () { savePng(el, spec); };
    if (dark()) { option.backgroundColor = "transparent"; wallText(option); }
    if (spec.href && !el.dataset.linked) {
      el.dataset.linked = "1";
      /* click-through: a bar opens the list of what it counts (its status and its category) */
      chart.on("click", function (p) {
        var params = [];
        if (spec.series_codes && spec.series_codes[p.seriesIndex]) params.push("status=" + spec.series_codes[p.seriesIndex]);
        if (spec.filter_by_category && p.name) params.push("q=" + encodeURIComponent(p.name));
        window.location.href = spec.href + (params.length ? "?" + params.join("&") : "");
      });
    }
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
        .then(function (data) { if (data) { bindValues(data); updateMap(data); host.dataset.refreshed = String(Date.now()); } })
        .catch(function () { /* keep showing the last figures; next tick retries */ });
    };
    setInterval(tick, every);
    host.refreshNow = tick;
  }

  var stageScale = 1;
  /* DataV-style fit: the 1920×1080 canvas is scaled (never stretched) and centred in the window. */
  function fitStage() {
    var stage = document.querySelector("[data-stage]");
    if (!stage) return false;
    var w = window.innerWidth, h = window.innerHeight;
    var s = Math.min(w / 1920, h / 1080);
    var changed = Math.abs(s - stageScale) > 0.001;
    stageScale = s;
    stage.style.transform = "translate(" + Math.max(0, (w - 1920 * s) / 2) + "px," + Math.max(0, (h - 1080 * s) / 2) + "px) scale(" + s + ")";
    return changed;
  }

  function showMeasure(key) {
    var map = document.querySelector("[data-testid=town-map]");
    if (!map || !key) return;
    map.dataset.measure = key;
    map.querySelectorAll("a[data-values]").forEach(function (a) {
      var v = JSON.parse(a.dataset.values)[key];
      if (!v) return;
      a.querySelector("rect").setAttribute("class", "tile lvl" + v.level);
      a.querySelector("[data-tile-value]").textContent = v.text;
    });
    document.querySelectorAll("[data-measure]").forEach(function (b) { if (b.tagName === "BUTTON") b.setAttribute("aria-pressed", String(b.dataset.measure === key)); });
    document.querySelectorAll("[data-legend]").forEach(function (l) { l.hidden = l.dataset.legend !== key; });
  }

  function updateMap(data) {
    var map = document.querySelector("[data-testid=town-map]");
    if (!map || !data.town_map) return;
    data.town_map.tiles.forEach(function (t) {
      var a = map.querySelector('a[data-town="' + t.name + '"]');
      if (a) a.dataset.values = JSON.stringify(t.values);
    });
    showMeasure(map.dataset.measure);
  }

  function wall() {
    if (!document.querySelector("[data-stage]")) return;
    fitStage();
    document.querySelectorAll("button[data-measure]").forEach(function (b) {
      b.addEventListener("click", function () { showMeasure(b.dataset.measure); });
    });
    var fs = document.querySelector("[data-fullscreen]");
    if (fs) fs.addEventListener("click", function () { if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen(); });
  }

  function clock() {
    var el = document.querySelector("[data-clock]");
    if (!el) return;
    var show = function () { el.textContent = new Date().toLocaleString(document.documentElement.lang || "zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }); };
    show(); setInterval(show, 1000);
  }

  function menuButton() {
    var button = document.querySelector("[data-testid=menu-button]");
    var nav = document.getElementById("main-nav");
    if (!button || !nav) return;
    button.addEventListener("click", function () {
      var open = !nav.classList.contains("open");
      nav.classList.toggle("open", open);
      button.setAttribute("aria-expanded", String(open));
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && nav.classList.contains("open")) { nav.classList.remove("open"); button.setAttribute("aria-expanded", "false"); button.focus(); }
    });
  }

  /* Row-filter condition builder: column, operator, value (the column's values offered when they are few);
     writes the filter language of the API into the form's JSON field, which stays editable. */
  function filterBuilder(box) {
    var columns = JSON.parse(box.dataset.columns || "[]"), ops = JSON.parse(box.dataset.operators || "[]");
    var list = box.querySelector("[data-conditions]"), json = box.querySelector("[data-filter-json]");
    var numeric = function (c) { return /int|float|double|decimal|number|real/i.test(c.type || ""); };
    var byName = {}; columns.forEach(function (c) { byName[c.name] = c; });
    var uid = 0;
    function option(value, text, selected) { var o = document.createElement("option"); o.value = value; o.textContent = text; if (selected) o.selected = true; return o; }
    function write() {
      var conds = [];
      list.querySelectorAll("[data-condition]").forEach(function (row) {
        var col = byName[row.querySelector("[data-col]").value], op = row.querySelector("[data-op]").value;
        var raw = row.querySelector("[data-value]").value.trim();
        if (!col) return;
        if (op === "is null" || op === "is not null") { conds.push({ column: col.name, op: op }); return; }
        if (raw === "") return;
        var conv = function (v) { v = v.trim(); return numeric(col) && v !== "" && !isNaN(Number(v)) ? Number(v) : v; };
        var value = op === "in" ? raw.split(/[,，、]/).map(conv).filter(function (v) { return v !== ""; }) : conv(raw);
        conds.push({ column: col.name, op: op, value: value });
      });
      json.value = conds.length === 0 ? "" : JSON.stringify(conds.length === 1 ? conds[0] : { and: conds });
    }
    function addRow(cond) {
      cond = cond || {};
      var row = document.createElement("div"); row.className = "condition"; row.dataset.condition = "1";
      var col = document.createElement("select"); col.dataset.col = "1"; col.setAttribute("aria-label", box.dataset.colLabel || "column");
      columns.forEach(function (c) { col.appendChild(option(c.name, c.label === c.name ? c.name : c.label + " (" + c.name + ")", c.name === cond.column)); });
      var op = document.createElement("select"); op.dataset.op = "1"; op.setAttribute("aria-label", "operator");
      ops.forEach(function (o) { op.appendChild(option(o.op, o.label, o.op === (cond.op || "="))); });
      var value = document.createElement("input"); value.type = "text"; value.dataset.value = "1"; value.setAttribute("aria-label", "value");
      value.value = cond.value == null ? "" : (Array.isArray(cond.value) ? cond.value.join("、") : String(cond.value));
      var listId = "fb-values-" + (++uid), datalist = document.createElement("datalist"); datalist.id = listId;
      value.setAttribute("list", listId);
      var remove = document.createElement("button"); remove.type = "button"; remove.className = "secondary"; remove.textContent = "×";
      remove.setAttribute("aria-label", "remove"); remove.dataset.remove = "1";
      function offer() {
        datalist.innerHTML = "";
        var c = byName[col.value];
        (c && c.values || []).forEach(function (v) { datalist.appendChild(option(v, v)); });
        value.placeholder = c && c.values && c.values.length ? c.values.slice(0, 3).join("、") + "…" : "";
        value.hidden = op.value === "is null" || op.value === "is not null";
      }
      col.addEventListener("change", function () { offer(); write(); });
      op.addEventListener("change", function () { offer(); write(); });
      value.addEventListener("input", write);
      remove.addEventListener("click", function () { row.remove(); write(); });
      [col, op, value, datalist, remove].forEach(function (e) { row.appendChild(e); });
      list.appendChild(row); offer(); write();
      return row;
    }
    box.querySelector("[data-add-condition]").addEventListener("click", function () { addRow().querySelector("select").focus(); });
    if (json.value.trim()) {
      try {
        var spec = JSON.parse(json.value);
        var items = Array.isArray(spec) ? spec : (spec.and || [spec]);
        if (items.every(function (c) { return c && c.column && byName[c.column]; })) { json.value = ""; items.forEach(addRow); }
        else box.querySelector("details").open = true;
      } catch (e) { box.querySelector("details").open = true; }
    }
  }

  /* Request form: which columns would come back masked for the level asked (and the requester's clearance). */
  function maskPreview(form) {
    var select = form.querySelector("select[name=max_level]");
    if (!select) return;
    var clearance = parseInt(form.dataset.clearance || "1", 10);
    var update = function () {
      var ceiling = Math.min(clearance, parseInt(select.value, 10));
      form.querySelectorAll("[data-level]").forEach(function (label) {
        var mark = label.querySelector("[data-testid=will-mask]");
        if (mark) mark.hidden = parseInt(label.dataset.level, 10) <= ceiling;
      });
    };
    select.addEventListener("change", update); update();
  }

  /* Sort, filter and search for the big tables (marked data-table-tools); ?q= and ?status= preset them,
     so a chart or a KPI can link straight to what it counts. Rows are only hidden, never re-fetched. */
  function tableTools(table, index) {
    var body = table.tBodies[0];
    if (!body || table.dataset.toolsReady) return;
    var rows = Array.prototype.filter.call(body.rows, function (r) { return !r.querySelector("td.empty"); });
    if (rows.length < 2) return;
    table.dataset.toolsReady = "1";
    var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
    var params = new URLSearchParams(window.location.search);
    var bar = document.createElement("div"); bar.className = "table-tools";
    var search = document.createElement("input"); search.type = "search"; search.dataset.tableSearch = "1";
    search.placeholder = zh ? "搜索本表…" : "Search this table…"; search.setAttribute("aria-label", search.placeholder);
    search.value = params.get("q") || "";
    bar.appendChild(search);
    var statuses = {}, statusSelect = null;
    rows.forEach(function (r) { r.querySelectorAll("[data-status], [data-code]").forEach(function (el) {
      var code = el.dataset.status || el.dataset.code; if (code && !statuses[code]) statuses[code] = el.textContent.trim(); }); });
    var codes = Object.keys(statuses);
    if (codes.length > 1) {
      statusSelect = document.createElement("select"); statusSelect.dataset.tableStatus = "1";
      statusSelect.setAttribute("aria-label", zh ? "按状态筛选" : "Filter by status");
      statusSelect.appendChild(new Option(zh ? "全部状态" : "All statuses", ""));
      codes.forEach(function (c) { statusSelect.appendChild(new Option(statuses[c], c)); });
      statusSelect.value = codes.indexOf(params.get("status") || "") >= 0 ? params.get("status") : "";
      bar.appendChild(statusSelect);
    }
    var count = document.createElement("span"); count.className = "note"; count.setAttribute("aria-live", "polite"); count.dataset.tableCount = "1";
    bar.appendChild(count);
    var holder = table.closest(".table-scroll") || table;
    holder.parentNode.insertBefore(bar, holder);
    function apply() {
      var q = search.value.trim().toLowerCase(), st = statusSelect ? statusSelect.value : "", shown = 0;
      rows.forEach(function (r) {
        var ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) &&
          (!st || !!r.querySelector('[data-status="' + st + '"], [data-code="' + st + '"]'));
        r.hidden = !ok; if (ok) shown++;
      });
      count.textContent = zh ? "显示 " + shown + " / " + rows.length + " 行" : shown + " of " + rows.length + " rows";
    }
    search.addEventListener("input", apply);
    if (statusSelect) statusSelect.addEventListener("change", apply);
    function value(r, i) {
      var cell = r.cells[i]; if (!cell) return null;
      var text = cell.textContent.trim();
      if (text === "" || text === "–" || text === "—") return null;
      var num = text.replace(/[,\s]/g, "").match(/^[-+]?\d+(\.\d+)?/);
      return num ? { n: parseFloat(num[0]) * (/万/.test(text) ? 1e4 : 1) * (/亿/.test(text) ? 1e8 : 1) } : { t: text };
    }
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      if (!th.textContent.trim()) return;
      var button = document.createElement("button"); button.type = "button"; button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = value(a, i), y = value(b, i);
          if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);  /* blanks last */
          var d = (x.n !== undefined && y.n !== undefined) ? x.n - y.n : String(x.t || x.n).localeCompare(String(y.t || y.n), zh ? "zh-CN" : "en");
          return asc ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    apply();
    return index;
  }

  function init() {
    document.querySelectorAll("table[data-table-tools]").forEach(tableTools);
    menuButton();
    document.querySelectorAll("[data-filter-builder]").forEach(filterBuilder);
    document.querySelectorAll("form[data-clearance]").forEach(maskPreview);
    wall();
    drawAll(document);
    startRefresh();
    clock();
    window.addEventListener("resize", function () {
      if (fitStage()) {  /* a new wall size: redraw the charts crisp at the new scale */
        charts.forEach(function (c) { c.dispose(); }); charts = [];
        document.querySelectorAll("[data-chart]").forEach(function (el) { delete el.dataset.linked; });
        drawAll(document);
      } else { charts.forEach(function (c) { c.resize(); }); }
    });
    document.body.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
