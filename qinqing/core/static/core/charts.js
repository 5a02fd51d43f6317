/* Draws every element with data-chart="ID" from the JSON in <script type="application/json"
   id="ID"> (Django's json_script; the CSP allows scripts from this site only, so no chart is
   configured inline). Apache ECharts (static/vendor/echarts.min.js) must be loaded first.
   Data: {kind: "bar"|"hbar"|"line", title, unit, labels: [...], series: [{name, values}]}.
   Charts follow their box's width (phones included) and are drawn again after htmx swaps. */
(function () {
  "use strict";

  var PALETTE = ["#c8102e", "#2156d4", "#1f8a4c", "#b26a00", "#6b5fd3", "#646a73"];
  var INK = "#1f2329";
  var MUTED = "#646a73";
  var LINE = "#dee0e3";
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';

  function narrow(el) {
    return el.clientWidth < 480;
  }

  function option(spec, el) {
    var horizontal = spec.kind === "hbar";
    var several = spec.series.length > 1;
    var small = narrow(el);
    var categories = {
      type: "category",
      data: spec.labels,
      inverse: horizontal,
      axisTick: { alignWithLabel: true },
      axisLine: { lineStyle: { color: LINE } },
      axisLabel: horizontal
        ? { color: INK, width: small ? 84 : 140, overflow: "truncate" }
        : { color: INK, hideOverlap: true, rotate: small && spec.labels.length > 6 ? 45 : 0 }
    };
    var whole = spec.series.every(function (s) {
      return s.values.every(function (v) { return v === null || Math.round(v) === v; });
    });
    var values = {
      type: "value",
      minInterval: whole ? 1 : 0,
      name: horizontal ? "" : spec.unit || "",
      nameTextStyle: { color: MUTED },
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: LINE } }
    };
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: "axis", axisPointer: { type: horizontal ? "shadow" : "line" } },
      legend: several ? { top: 0, textStyle: { color: INK } } : { show: false },
      grid: { left: 8, right: 24, top: several ? 36 : 28, bottom: 8, containLabel: true },
      xAxis: horizontal ? values : categories,
      yAxis: horizontal ? categories : values,
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: spec.kind === "line" ? "line" : "bar",
          data: s.values,
          barMaxWidth: 36,
          symbolSize: 6,
          connectNulls: false,
          label: {
            show: !several && spec.labels.length <= 12,
            position: horizontal ? "right" : "top",
            color: INK
          }
        };
      })
    };
  }

  function draw(el) {
    if (el.getAttribute("data-chart-drawn") || !window.echarts) {
      return;
    }
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    if (spec.kind === "hbar") {
      el.style.height = Math.max(160, spec.labels.length * 30 + 48) + "px";
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(spec, el));
    el.setAttribute("data-chart-drawn", "1");
    var wasNarrow = narrow(el);
    var resize = function () {
      chart.resize();
      if (narrow(el) !== wasNarrow) {
        wasNarrow = narrow(el);
        chart.setOption(option(spec, el));
      }
    };
    if (window.ResizeObserver) {
      new ResizeObserver(resize).observe(el);
    } else {
      window.addEventListener("resize", resize);
    }
  }

  function drawAll(root) {
    var els = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < els.length; i++) {
      draw(els[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
