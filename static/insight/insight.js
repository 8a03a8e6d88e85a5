/*
 * 数据看板's charts (templates/admin/insight/dashboard.html), drawn with the vendored Apache
 * ECharts (static/vendor/echarts) from the JSON block #insight-data that Django's json_script
 * wrote: no inline script, no other host. Each chart illustrates the table beside it, which
 * holds the same figures for screen readers, printing and the Excel download; without this
 * script the tables are the whole page.
 *
 * The data (apps/insight/tables.py Chart.as_json): {"charts": [{table, kind, categories,
 * series: [{name, data}], percent, byDays?, days?}]}, where kind is "line", "stack" (stacked
 * bars), "bars" (horizontal bars) or "combo" (bars and a share line on a second axis).
 * Shares arrive in percent; null where nobody could be reached (a gap in the line).
 */
(function () {
  "use strict";

  var NARROW = 560; // px of the chart's box under which labels turn and legends move down
  var PRINT_WIDTH = 680; // px: A4's width less 2 cm margins, at 96 px per inch
  var source = document.getElementById("insight-data");
  if (!source || !window.echarts) {
    return;
  }
  var specs = JSON.parse(source.textContent).charts || [];
  var drawn = [];

  function textColour() {
    return window.getComputedStyle(document.body).color || "#333";
  }

  function percentText(value) {
    return value === null || value === undefined ? "—" : value + "%";
  }

  function countText(value) {
    return value === null || value === undefined ? "—" : String(value);
  }

  function legend(narrow, count) {
    // A legend that scrolls rather than covers the chart when the names do not fit.
    return {
      type: "scroll",
      show: count > 1,
      top: narrow ? undefined : 0,
      bottom: narrow ? 0 : undefined,
      textStyle: { color: textColour() },
      pageTextStyle: { color: textColour() },
    };
  }

  function categoryAxis(spec, narrow) {
    return {
      type: "category",
      data: spec.categories,
      axisLabel: {
        color: textColour(),
        hideOverlap: true,
        rotate: narrow && spec.categories.length > 4 ? 45 : 0,
        fontSize: narrow ? 10 : 12,
      },
    };
  }

  function valueAxis(percent, extra) {
    var axis = {
      type: "value",
      minInterval: percent ? 0 : 1,
      axisLabel: { color: textColour(), formatter: percent ? "{value}%" : "{value}" },
    };
    if (percent) {
      axis.min = 0;
      axis.max = 100;
    }
    return Object.assign(axis, extra || {});
  }

  function grid(narrow, legendShown) {
    return {
      left: 8,
      right: 24, // room for the last label of a value axis ("100%")
      top: legendShown && !narrow ? 36 : 16,
      bottom: legendShown && narrow ? 36 : 8,
      containLabel: true,
    };
  }

  function option(spec, series, narrow) {
    var base = {
      animation: false,
      aria: { enabled: false }, // the container is role=img and the table beside it says it all
      textStyle: { color: textColour() },
      tooltip: {
        trigger: "axis",
        confine: true,
        valueFormatter: spec.percent ? percentText : countText,
      },
      legend: legend(narrow, series.length),
      grid: grid(narrow, series.length > 1),
    };
    if (spec.kind === "bars") {
      // Horizontal bars: the categories (article titles, industries) read down the side,
      // the first at the top; long titles are cut, the tooltip and the table keep them whole.
      return Object.assign(base, {
        tooltip: Object.assign(base.tooltip, { axisPointer: { type: "shadow" } }),
        xAxis: valueAxis(spec.percent),
        yAxis: {
          type: "category",
          inverse: true,
          data: spec.categories,
          axisLabel: {
            color: textColour(),
            width: narrow ? 110 : 240,
            overflow: "truncate",
            fontSize: narrow ? 10 : 12,
          },
        },
        series: series.map(function (item) {
          return { name: item.name, type: "bar", data: item.data, barMaxWidth: 24 };
        }),
      });
    }
    if (spec.kind === "combo") {
      return Object.assign(base, {
        // Each series formats its own values: a count and a share.
        tooltip: { trigger: "axis", confine: true },
        xAxis: categoryAxis(spec, narrow),
        yAxis: [valueAxis(false), valueAxis(true, { splitLine: { show: false } })],
        series: [
          {
            name: series[0].name,
            type: "bar",
            data: series[0].data,
            barMaxWidth: 32,
            tooltip: { valueFormatter: countText },
          },
          {
            name: series[1].name,
            type: "line",
            yAxisIndex: 1,
            data: series[1].data,
            connectNulls: false,
            tooltip: { valueFormatter: percentText },
          },
        ],
      });
    }
    return Object.assign(base, {
      xAxis: categoryAxis(spec, narrow),
      yAxis: valueAxis(spec.percent),
      series: series.map(function (item) {
        if (spec.kind === "stack") {
          return {
            name: item.name,
            type: "bar",
            stack: "total",
            data: item.data,
            barMaxWidth: 32,
            emphasis: { focus: "series" },
          };
        }
        return {
          name: item.name,
          type: "line",
          data: item.data,
          connectNulls: false,
          symbolSize: 6,
          emphasis: { focus: "series" },
        };
      }),
    });
  }

  function render(entry) {
    var narrow = entry.element.clientWidth < NARROW;
    entry.narrow = narrow;
    if (entry.spec.kind === "bars") {
      // A bar per category, whether there are 3 of them or 20.
      entry.element.style.height = Math.max(160, 64 + entry.spec.categories.length * 30) + "px";
      entry.chart.resize();
    }
    entry.chart.setOption(option(entry.spec, entry.series, narrow), { notMerge: true });
  }

  function dayButtons(entry) {
    // Which reach the lines show: within 1, 3 or 7 days of going live.
    var group = document.createElement("div");
    group.className = "insight-days";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "到达率的统计天数");
    Object.keys(entry.spec.byDays)
      .sort(function (a, b) {
        return Number(a) - Number(b);
      })
      .forEach(function (days) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = days + "天内";
        button.setAttribute("aria-pressed", String(days === entry.spec.days));
        button.addEventListener("click", function () {
          entry.series = entry.spec.byDays[days];
          group.querySelectorAll("button").forEach(function (other) {
            other.setAttribute("aria-pressed", String(other === button));
          });
          render(entry);
        });
        group.appendChild(button);
      });
    entry.element.parentNode.insertBefore(group, entry.element);
  }

  specs.forEach(function (spec) {
    var element = document.getElementById("chart-" + spec.table);
    if (!element) {
      return;
    }
    var entry = {
      spec: spec,
      element: element,
      series: spec.series,
      chart: window.echarts.init(element, null, { renderer: "svg" }),
    };
    if (spec.byDays) {
      dayButtons(entry);
    }
    render(entry);
    drawn.push(entry);
  });

  function resizeAll() {
    drawn.forEach(function (entry) {
      entry.chart.resize();
      if ((entry.element.clientWidth < NARROW) !== entry.narrow) {
        render(entry);
      }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(resizeAll, 100);
  });
  // On paper each chart takes the page's width (A4 portrait, less its margins), above its
  // table; back on screen it takes its box again.
  window.addEventListener("beforeprint", function () {
    drawn.forEach(function (entry) {
      entry.chart.resize({ width: PRINT_WIDTH });
    });
  });
  window.addEventListener("afterprint", resizeAll);
})();
