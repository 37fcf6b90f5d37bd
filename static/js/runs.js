// The runs list: status, what was trained on what, best validation score, duration; ticked
// runs get their loss curves overlaid in one uPlot chart. The list refreshes itself while
// some run is still queued or running.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#3056d3", "#d9730d", "#067647", "#b42318", "#7a5af8", "#0e9384", "#c11574", "#475467"];
const REFRESH_MS = 3000;
const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];  // whole epochs only
const state = { runs: [], names: { architectures: {}, datasets: {} }, ticked: new Set(), plot: null };

// ---------------------------------------------------------------------------- one row

// The best validation score in the history: max val_accuracy, else min val_loss.
function bestValidation(history) {
  const pick = (key, better) => {
    const rows = history.filter((h) => typeof h[key] === "number");
    if (!rows.length) return null;
    const best = rows.reduce((a, b) => (better(b[key], a[key]) ? b : a));
    return `${key} ${best[key].toFixed(4)} (epoch ${best.epoch})`;
  };
  return pick("val_accuracy", (a, b) => a > b) || pick("val_loss", (a, b) => a < b) || "–";
}

function duration(run) {
  if (!run.started_at) return "–";
  const end = run.finished_at ? new Date(run.finished_at) : new Date();
  const s = Math.max(0, (end - new Date(run.started_at)) / 1000);
  const text = s < 90 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return run.finished_at ? text : `${text} so far`;
}

// Runs keep a snapshot of their stack; a saved architecture's current name is nicer.
function architectureName(run) {
  const saved = state.names.architectures[run.architecture_id];
  if (saved) return saved;
  return run.stack.name && run.stack.name !== "inline" ? run.stack.name : "inline stack";
}

function datasetName(run) {
  if (run.dataset_id === null) return "deleted";
  return state.names.datasets[run.dataset_id] || `#${run.dataset_id}`;
}

function runRow(run) {
  const box = el("input", {
    type: "checkbox", "aria-label": `Compare run ${run.id}`, "data-testid": `compare-${run.id}`,
    checked: state.ticked.has(run.id), disabled: run.history.length === 0,
    onchange: (event) => tick(run.id, event.target.checked),
  });
  const started = run.started_at ? new Date(run.started_at).toLocaleString() : "not yet";
  return el("tr", { "data-testid": `run-row-${run.id}`, "data-run-id": run.id },
    el("td", {}, box),
    el("td", {}, el("a", { href: `/runs/${run.id}`, text: `#${run.id}` })),
    el("td", {}, el("span", { class: `badge ${run.status}`, text: run.status })),
    el("td", { text: architectureName(run) }),
    el("td", {}, run.dataset_id === null
      ? "deleted"
      : el("a", { href: `/datasets/${run.dataset_id}`, text: datasetName(run) })),
    el("td", { class: "num", text: `${run.epochs_done} / ${run.fit.epochs}` }),
    el("td", { class: "num", text: bestValidation(run.history) }),
    el("td", { class: "num", text: duration(run) }),
    el("td", { class: "small muted started", text: started }));
}

function drawTable() {
  $("runs-body").replaceChildren(...state.runs.map(runRow));
  $("runs-empty").hidden = state.runs.length > 0;
}

// ---------------------------------------------------------------------------- the overlay

function tick(runId, on) {
  if (on) state.ticked.add(runId);
  else state.ticked.delete(runId);
  drawOverlay();
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

function drawOverlay() {
  const container = $("overlay-chart");
  const runs = state.runs.filter((r) => state.ticked.has(r.id) && r.history.length);
  const { series, data } = overlayData(runs);
  if (state.plot) state.plot.destroy();  // series change with every tick: rebuild
  state.plot = null;
  if (series.length) {
    const options = {
      width: Math.max(200, container.clientWidth), height: 300,
      scales: { x: { time: false } },
      series: [{ label: "epoch" }, ...series],
      axes: [{ label: "epoch", incrs: EPOCH_STEPS }, { size: 56 }],
    };
    state.plot = new uPlot(options, data, container);
  }
  container.dataset.points = String(data[0].length);
  container.dataset.series = String(runs.length);
}

new ResizeObserver(() => {
  const container = $("overlay-chart");
  if (state.plot) state.plot.setSize({ width: Math.max(200, container.clientWidth), height: 300 });
}).observe($("overlay-chart"));

// ---------------------------------------------------------------------------- loading

async function loadNames() {
  // Names only decorate the table: without them it still shows ids.
  const [architectures, datasets] = await Promise.all([
    api.get("/api/architectures?limit=1000").catch(() => ({ data: [] })),
    api.get("/api/datasets?limit=1000").catch(() => ({ data: [] })),
  ]);
  for (const a of architectures.data) state.names.architectures[a.id] = a.name;
  for (const d of datasets.data) state.names.datasets[d.id] = d.name;
}

async function loadRuns() {
  const answer = await api.get("/api/runs?limit=500");
  state.runs = answer.data;
  drawTable();
  drawOverlay();
  // Curves and durations of running runs change: look again in a moment.
  if (state.runs.some((r) => r.status === "queued" || r.status === "running")) {
    setTimeout(() => loadRuns().catch((error) => flash(error.message)), REFRESH_MS);
  }
}

loadNames()
  .then(loadRuns)
  .catch((error) => flash(`Could not load the runs: ${error.message}`));
