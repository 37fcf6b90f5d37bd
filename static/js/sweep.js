// A sweep's page: its runs ranked by their best validation value, one scatter panel per
// setting varied, and the best run's curves. It reads GET /api/sweeps/{id} as a script
// would, again every POLL_MS while some runs are queued or running, then once more.

import { $, api, el, flash } from "./common.js";
import { LiveChart } from "./run/chart.js";
import { drawScatter } from "./sweep/scatter.js";
import { drawTable, fmtValue } from "./sweep/table.js";

const POLL_MS = 1500;
const sweepId = Number($("sweep-page").dataset.sweepId);
const bestChart = new LiveChart($("best-chart"));
let bestShown = null;  // "<run id>:<epochs done>" of the curves on show

function showStatus(sweep) {
  const badge = $("sweep-status");
  const label = sweep.active ? "running" : sweep.statuses.completed === sweep.run_count ? "completed" : "finished";
  badge.textContent = label;
  badge.className = `badge ${label === "finished" ? "cancelled" : label}`;
  $("cancel-sweep").hidden = !sweep.active;
  $("sweep-counts").replaceChildren(...Object.entries(sweep.statuses).sort().map(([status, n]) =>
    el("span", { class: `badge ${status}`, "data-testid": `count-${status}`, text: `${n} ${status}` })));
  const base = sweep.base;
  const stack = base.architecture_id
    ? el("a", { href: `/builder?architecture=${base.architecture_id}`, text: `architecture #${base.architecture_id}` })
    : "an inline stack";
  const sample = sweep.trials ? ` · a random sample of ${sweep.trials} (seed ${sweep.seed})` : "";
  $("sweep-about").replaceChildren(`${sweep.run_count} runs of `, stack, " on ",
    el("a", { href: `/datasets/${base.dataset_id}`, text: `dataset #${base.dataset_id}` }),
    `, ${base.fit.epochs} epochs, seed ${base.fit.seed ?? "per run"}${sample}`);
  $("ranked-by").textContent = sweep.metric
    ? `(by the best ${sweep.metric}, ${sweep.higher_is_better ? "highest" : "lowest"} first)`
    : "(ranked once a run has logged an epoch)";
}

// The best run's training and validation curves of the ranking metric.
async function showBest(sweep) {
  const best = sweep.runs.find((r) => r.id === sweep.best_run_id);
  if (!best) return;
  const key = `${best.id}:${best.epochs_done}`;
  if (key === bestShown) return;
  bestShown = key;
  const run = await api.get(`/api/runs/${best.id}`);
  const metric = sweep.metric.replace(/^val_/, "");
  const logged = new Set(run.history.flatMap((e) => Object.keys(e)));
  bestChart.show([metric, `val_${metric}`].filter((k) => logged.has(k)), run.history);
  $("best-about").replaceChildren(el("a", { href: `/runs/${best.id}`, text: `run #${best.id}` }),
    `: ${sweep.metric} ${fmtValue(best.best)} at epoch ${best.best_epoch}`);
}

async function refresh() {
  let sweep;
  try {
    sweep = await api.get(`/api/sweeps/${sweepId}`);
  } catch (error) {
    flash(error.message);
    return;
  }
  showStatus(sweep);
  drawTable($("sweep-table"), sweep);
  drawScatter($("sweep-scatter"), sweep);
  await showBest(sweep);
  if (sweep.active) setTimeout(refresh, POLL_MS);
}

$("cancel-sweep").addEventListener("click", async () => {
  $("cancel-sweep").disabled = true;
  try {
    await api.post(`/api/sweeps/${sweepId}/cancel`);
    flash("Cancelled: queued runs at once, running ones within a step.", "ok");
  } catch (error) {
    flash(error.message);
  }
  $("cancel-sweep").disabled = false;
});

$("delete-sweep").addEventListener("click", async () => {
  if (!confirm(`Delete sweep #${sweepId} and all its runs? Going runs are cancelled first.`)) return;
  await api.del(`/api/sweeps/${sweepId}`);
  location.assign("/sweeps");
});

refresh();
