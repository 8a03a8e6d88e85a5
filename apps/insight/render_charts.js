// The report's charts as SVG, drawn on the server by Apache ECharts (apps/insight/charts.py).
//
//   node render_charts.js <path of echarts.min.js>  < charts.json  > svgs.json
//
// stdin: a JSON array of {"width": px, "height": px, "option": {...ECharts option...}};
// stdout: a JSON array of the same length, each chart's SVG document as a string.
// One process draws all the charts of a report: loading ECharts is most of its cost.
// ECharts escapes the text it writes into the SVG (titles typed by people included).
"use strict";

const echarts = require(process.argv[2]);

function draw(spec) {
  const chart = echarts.init(null, null, {
    renderer: "svg",
    ssr: true,
    width: spec.width,
    height: spec.height,
  });
  // No animation: the SVG is the final picture, for a PDF.
  chart.setOption(Object.assign({ animation: false }, spec.option));
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const specs = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(JSON.stringify(specs.map(draw)));
});
