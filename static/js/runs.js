// The runs list's comparison: tick runs to draw a metric of theirs together (uPlot; a picker
// chooses which), with their test metrics and the settings that differ (runs/compare.js).
// The table is the server's, swapped by htmx; this module only reads which rows are ticked,
// keeps the ticks across swaps, and fetches each ticked run from the JSON API.
import { $, api, COLORS, el, flash } from "./common.js";
import "./hx-flash.js";
import { axes } from "./run/chart.js";
import { drawComparison } from "./runs/compare.js";

const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];  // whole epochs only
const GOING = new Set(["queued", "running"]);
const NOT_METRICS = new Set(["epoch", "epoch_time"]);
const ticked = new Set();  // run ids, across filters, pages and live row swaps
const records = new Map();  // run id -> GET /api/runs/{id}; a finished run's never changes
let plot = null;
let drawing = 0;  // only the latest draw may touch the chart
// Outside the part htmx restores on going back (runs.html), so the same elements all along.
const chartBox = () => $("overlay-chart");
const picker = () => $("overlay-metric");
const resizer = new ResizeObserver(([entry]) => {
  if (plot) plot.setSize({ width: Math.max(200, entry.contentRect.width), height: 300 });
});

function rows() {
  return [...document.querySelectorAll("#runs-body tr[data-run-id]")];
}

async function record(row) {
  const id = Number(row.dataset.runId);
  if (GOING.has(row.dataset.status) || !records.has(id)) {
    records.set(id, await api.get(`/api/runs/${id}`));
  }
  return records.get(id);
}

// Every metric some ticked run logged, `val_x` drawn with `x`; the choice is kept while it
// is still on offer (loss first: every run has it).
function fillPicker(runs) {
  const keys = new Set(runs.flatMap((r) => r.history.flatMap((h) => Object.keys(h))));
  const names = [...keys].filter((k) => !NOT_METRICS.has(k) && !k.startsWith("val_"))
    .sort((a, b) => (a === "loss" ? -1 : b === "loss" ? 1 : a.localeCompare(b)));
  const chosen = picker().value || "loss";
  if (names.join() !== [...picker().options].map((o) => o.value).join()) {
    picker().replaceChildren(...names.map((k) => el("option", { value: k, text: k })));
  }
  picker().value = names.includes(chosen) ? chosen : names[0] || "";
  picker().disabled = names.length === 0;
  return picker().value;
}

// uPlot wants one shared x axis: epochs 1..longest, with gaps (null) where a run is shorter.
function overlayData(runs, metric) {
  const longest = Math.max(0, ...runs.map((r) => Math.max(0, ...r.history.map((h) => h.epoch))));
  const xs = Array.from({ length: longest }, (_, i) => i + 1);
  const column = (run, key) => {
    const byEpoch = new Map(run.history.map((h) => [h.epoch, h[key]]));
    return xs.map((x) => byEpoch.get(x) ?? null);
  };
  const series = [];
  const data = [xs];
  runs.forEach((run, i) => {
    for (const key of [metric, `val_${metric}`]) {
      if (!run.history.some((h) => typeof h[key] === "number")) continue;
      series.push({
        label: `#${run.id} ${key}`, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true,
        points: { show: xs.length <= 30 },
        dash: key.startsWith("val_") ? [6, 4] : undefined,
      });
      data.push(column(run, key));
    }
  });
  return { series, data };
}

async function draw() {
  const mine = ++drawing;
  const chosen = rows().filter((row) => ticked.has(Number(row.dataset.runId)));
  const infos = await Promise.all(chosen.map(record));
  if (mine !== drawing) return;
  const runs = infos.filter((info) => info.history.length);
  const metric = fillPicker(runs);
  const { series, data } = overlayData(runs, metric);
  const chart = chartBox();
  if (plot) plot.destroy();  // series change with every tick: rebuild
  plot = null;
  chart.replaceChildren();
  resizer.disconnect();
  if (series.length) {
    resizer.observe(chart);
    const chartAxes = axes(EPOCH_STEPS);
    plot = new window.uPlot({
      width: Math.max(200, chart.clientWidth), height: 300,
      scales: { x: { time: false } },
      series: [{ label: "epoch" }, ...series],
      axes: chartAxes,
    }, data, chart);
    chart.dataset.axisStroke = chartAxes[0].stroke;  // tests: drawn in the theme's colours
  }
  chart.dataset.points = String(data[0].length);
  chart.dataset.series = String(runs.length);
  chart.dataset.metric = metric;
  drawComparison(infos);
}

function redraw() {
  draw().catch((error) => flash(`Could not draw the curves: ${error.message}`));
}

picker().addEventListener("change", redraw);
// uPlot's axes are drawn in the theme's colours when the chart is made: make it again.
window.addEventListener("themechange", () => {
  if (plot) redraw();
});

document.addEventListener("change", (event) => {
  const box = event.target.closest("[data-compare]");
  if (!box) return;
  if (box.checked) ticked.add(Number(box.dataset.compare));
  else ticked.delete(Number(box.dataset.compare));
  redraw();
});

// New rows from the server (a filter, a page, a running run's next epoch) keep their ticks;
// a ticked row that changed brings its new epochs to the chart.
document.body.addEventListener("htmx:load", (event) => {
  const boxes = [...event.target.querySelectorAll("[data-compare]")];
  if (event.target.matches("[data-compare]")) boxes.push(event.target);
  for (const box of boxes) box.checked = ticked.has(Number(box.dataset.compare));
  if (boxes.some((box) => box.checked) || ticked.size) redraw();
});
document.body.addEventListener("htmx:historyRestore", () => {
  if (ticked.size) redraw();
});
