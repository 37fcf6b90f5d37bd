// The runs list's overlay chart: tick runs to draw their loss curves together (uPlot). The
// table is the server's, swapped by htmx; this module only reads which rows are ticked, keeps
// the ticks across swaps, and fetches each ticked run's history from the JSON API.
import { api, COLORS, flash } from "./common.js";
import "./hx-flash.js";

const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];  // whole epochs only
const GOING = new Set(["queued", "running"]);
const ticked = new Set();  // run ids, across filters, pages and live row swaps
const histories = new Map();  // run id -> history; a finished run's never changes
let plot = null;
let drawing = 0;  // only the latest draw may touch the chart
// Outside the part htmx restores on going back (runs.html), so the same element all along.
const chartBox = () => document.getElementById("overlay-chart");
const resizer = new ResizeObserver(([entry]) => {
  if (plot) plot.setSize({ width: Math.max(200, entry.contentRect.width), height: 300 });
});

function rows() {
  return [...document.querySelectorAll("#runs-body tr[data-run-id]")];
}

async function history(row) {
  const id = Number(row.dataset.runId);
  if (GOING.has(row.dataset.status) || !histories.has(id)) {
    histories.set(id, (await api.get(`/api/runs/${id}`)).history);
  }
  return histories.get(id);
}

// uPlot wants one shared x axis: epochs 1..longest, with gaps (null) where a run is shorter.
function overlayData(runs) {
  const longest = Math.max(0, ...runs.map((r) => Math.max(0, ...r.history.map((h) => h.epoch))));
  const xs = Array.from({ length: longest }, (_, i) => i + 1);
  const column = (run, key) => {
    const byEpoch = new Map(run.history.map((h) => [h.epoch, h[key]]));
    return xs.map((x) => byEpoch.get(x) ?? null);
  };
  const series = [];
  const data = [xs];
  runs.forEach((run, i) => {
    for (const key of ["loss", "val_loss"]) {
      if (!run.history.some((h) => typeof h[key] === "number")) continue;
      series.push({
        label: `#${run.id} ${key}`, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true,
        points: { show: xs.length <= 30 },
        dash: key === "val_loss" ? [6, 4] : undefined,
      });
      data.push(column(run, key));
    }
  });
  return { series, data };
}

async function draw() {
  const mine = ++drawing;
  const chosen = rows().filter((row) => ticked.has(Number(row.dataset.runId)));
  const runs = (await Promise.all(chosen.map(async (row) => ({
    id: Number(row.dataset.runId), history: await history(row),
  })))).filter((run) => run.history.length);
  if (mine !== drawing) return;
  const { series, data } = overlayData(runs);
  const chart = chartBox();
  if (plot) plot.destroy();  // series change with every tick: rebuild
  plot = null;
  chart.replaceChildren();
  resizer.disconnect();
  if (series.length) {
    resizer.observe(chart);
    plot = new window.uPlot({
      width: Math.max(200, chart.clientWidth), height: 300,
      scales: { x: { time: false } },
      series: [{ label: "epoch" }, ...series],
      axes: [{ label: "epoch", incrs: EPOCH_STEPS }, { size: 56 }],
    }, data, chart);
  }
  chart.dataset.points = String(data[0].length);
  chart.dataset.series = String(runs.length);
}

function redraw() {
  draw().catch((error) => flash(`Could not draw the curves: ${error.message}`));
}

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
