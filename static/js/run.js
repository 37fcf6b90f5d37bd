// The run page. One EventSource feeds the status badge, the progress bar, both charts and the
// epoch table. The server replays every recorded epoch before the live ones, so a reload or a
// second tab rebuilds exactly the same state from the stream alone. The chart and the tables
// are in run/; this module keeps the run's state, the stream and the controls.

import { $, api, el, flash } from "./common.js";
import { LiveChart } from "./run/chart.js";
import { showDownloads } from "./run/downloads.js";
import { showChanges, showDiagnosis } from "./run/notes.js";
import { setBar, showBatch, showEnd, showEpochDone } from "./run/progress.js";
import { drawTable, showResults } from "./run/tables.js";
import { WeightsPanel } from "./run/weights.js";

const runId = Number($("run-page").dataset.runId);

const run = {
  info: null,        // GET /api/runs/{id}: stack, fit settings, class names
  epochs: [],        // one entry per finished epoch, as the `epoch` events sent them
  status: null,
  source: null,      // the open EventSource, if any
  ended: false,      // the stream said `done`: its status is the last word
};

// ---------------------------------------------------------------------------- charts

// Inside an epoch the loss chart draws the running loss as a trail after the last epoch.
const lossChart = new LiveChart($("loss-chart"), { trailKey: "loss" });
const metricChart = new LiveChart($("metric-chart"));

// The loss and its validation twin, when logged.
function seriesFor(key) {
  const logged = new Set(run.epochs.flatMap((e) => Object.keys(e)));
  return [key, `val_${key}`].filter((k) => logged.has(k));
}

function drawCharts() {
  lossChart.show(seriesFor("loss"), run.epochs);
  const metric = $("metric-select").value;
  metricChart.show(metric ? seriesFor(metric) : [], run.epochs);
}

// Every logged key except the loss gets an option; `val_x` is drawn with `x`.
function fillMetricSelect() {
  const select = $("metric-select");
  const keys = new Set(run.epochs.flatMap((e) => Object.keys(e)));
  const options = [...keys].filter((k) => k !== "epoch" && k !== "loss" && !k.startsWith("val_"));
  if (options.join() === [...select.options].map((o) => o.value).join()) return;
  const chosen = select.value || (options.includes("accuracy") ? "accuracy" : options[0]);
  select.replaceChildren(...options.map((k) => el("option", { value: k, text: k })));
  if (chosen) select.value = chosen;
}

$("metric-select").addEventListener("change", drawCharts);

// Each layer's weight histograms, fetched apart from the stream (which stays small).
const weights = new WeightsPanel(runId, {
  panel: $("weights-panel"), slider: $("weights-epoch"), label: $("weights-epoch-label"),
  layers: $("weights-layers"), note: $("weights-note"),
});

// ---------------------------------------------------------------------------- status, progress

function totalEpochs() {
  return run.info ? run.info.fit.epochs : null;
}

function setStatus(status, waitingFor = null) {
  run.status = status;
  const badge = $("run-status");
  badge.textContent = status;
  badge.className = `badge ${status}`;
  $("cancel-run").hidden = !["queued", "running"].includes(status);
  $("resume-run").hidden = !["cancelled", "interrupted"].includes(status);
  // On a cluster a queued run may wait for what no node has yet (a GPU): the server says so.
  if (status === "queued") {
    $("epoch-text").textContent = waitingFor ? `Queued: waiting for ${waitingFor}` : "Queued: waiting for a free worker…";
  }
}

function addEpoch(logs) {
  // A re-opened stream (after resume, or a reconnect) replays epochs already shown.
  if (run.epochs.some((e) => e.epoch === logs.epoch)) return;
  run.epochs.push(logs);
  run.epochs.sort((a, b) => a.epoch - b.epoch);
  showEpochDone(logs.epoch, totalEpochs());
  fillMetricSelect();
  drawCharts();
  drawTable(run.epochs);
  weights.epochArrived();
}

// ---------------------------------------------------------------------------- the end

async function finish(done) {
  closeStream();
  run.ended = true;
  lossChart.clearRunning();  // an epoch cut short (cancel) is not kept: nor is its trail
  setStatus(done.status);
  const last = run.epochs.length ? run.epochs[run.epochs.length - 1].epoch : 0;
  $("run-error").hidden = !done.error;
  $("run-error").textContent = done.error || "";
  // Test metrics, the confusion matrix, what early stopping did and the diagnosis (of a run
  // that ended early too) are not in the event; the run's record has them.
  run.info = await api.get(`/api/runs/${runId}`);
  showEnd(done.status, run.info, last);
  if (done.status === "completed") {
    showResults(run.info);
    showDownloads(runId);
  }
  showDiagnosis(run.info);
}

// ---------------------------------------------------------------------------- the stream

function closeStream() {
  if (run.source) run.source.close();
  run.source = null;
}

function openStream() {
  closeStream();
  const source = new EventSource(`/api/runs/${runId}/events`);
  const on = (name, handler) => source.addEventListener(name, (event) => handler(JSON.parse(event.data)));
  on("status", (d) => setStatus(d.status, d.waiting_for));
  on("progress", (p) => {
    showBatch(p, run.epochs.map((e) => e.epoch_time).filter((t) => typeof t === "number"));
    if (p.batches) lossChart.addRunning(p.epoch, p.batch / p.batches, p.loss);
  });
  on("epoch", addEpoch);
  // The server ends the stream after `done`; closing here stops EventSource from reconnecting.
  on("done", (d) => finish(d).catch((error) => flash(error.message)));
  source.addEventListener("error", () => {
    // EventSource retries by itself (sending Last-Event-ID); say so rather than look frozen.
    if (source.readyState === EventSource.CONNECTING) {
      $("eta-text").textContent = "connection lost, reconnecting…";
    } else if (source.readyState === EventSource.CLOSED && run.source === source) {
      flash("The live stream closed. Reload the page to see the latest state.");
    }
  });
  run.source = source;
}

// ---------------------------------------------------------------------------- controls

async function control(action, button) {
  button.disabled = true;
  try {
    const info = await api.post(`/api/runs/${runId}/${action}`);
    flash("");
    // A quick cancel: the stream's `done` may have come before this answer, which still
    // says "running". The stream has the last word then.
    if (action === "resume" || !run.ended) setStatus(info.status);
    if (action === "resume") {
      run.ended = false;
      $("run-results").hidden = true;
      $("run-error").hidden = true;
      $("run-diagnosis").hidden = true;
      openStream();  // the old stream ended with `done`; a new one picks up the new epochs
    }
  } catch (error) {
    flash(error.message);
  } finally {
    button.disabled = false;
  }
}

$("cancel-run").addEventListener("click", (e) => control("cancel", e.currentTarget));
$("resume-run").addEventListener("click", (e) => control("resume", e.currentTarget));

// Names of the architecture and dataset, when they still exist; ids are enough otherwise.
// The run carries them (`architecture_name`, `dataset_name`); from a server that does not
// send them yet, each is fetched by its id.
async function names(info) {
  const fetchName = (path) => api.get(path).then((r) => r.name).catch(() => null);
  const named = (key, id, path) => (key in info ? info[key] : id ? fetchName(path) : null);
  const [stack, dataset] = await Promise.all([
    named("architecture_name", info.architecture_id, `/api/architectures/${info.architecture_id}`),
    named("dataset_name", info.dataset_id, `/api/datasets/${info.dataset_id}`),
  ]);
  return {
    stack: stack || (info.stack.name && info.stack.name !== "inline" ? info.stack.name : "inline stack"),
    dataset: dataset || (info.dataset_id ? `dataset #${info.dataset_id}` : "a deleted dataset"),
  };
}

// The settings in a line, the architecture and the dataset as links to their pages (while
// they exist: a run keeps its own snapshot of both).
function describe(info, named) {
  const fit = info.fit;
  const stack = info.architecture_id
    ? el("a", { href: `/builder?architecture=${info.architecture_id}`, "data-testid": "architecture-link", text: named.stack })
    : named.stack;
  const dataset = info.dataset_id && info.dataset_name !== null
    ? el("a", { href: `/datasets/${info.dataset_id}`, "data-testid": "dataset-link", text: named.dataset })
    : named.dataset;
  const parts = [
    `${fit.epochs} epochs`, `batch ${fit.batch_size}`,
    fit.validation === "test" ? "validated on the test split" : `validation split ${fit.validation_split}`,
    `seed ${fit.seed}`,
  ];
  if (fit.early_stopping) parts.push(`early stopping (patience ${fit.early_stopping.patience})`);
  // On a Ray cluster: where it trained, and how many tries it took (a lost node is retried).
  if (info.node) parts.push(`node ${info.node}${info.attempt > 1 ? `, attempt ${info.attempt}` : ""}`);
  // A run of a sweep: the sweep, and the settings this run tried.
  const tried = Object.entries(info.sweep_params || {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  const sweep = info.sweep_id
    ? [" · ", el("a", { href: `/sweeps/${info.sweep_id}`, "data-testid": "sweep-link", text: `sweep #${info.sweep_id}` }),
      tried.length ? ` (${tried.join(", ")})` : ""]
    : [];
  return [stack, " on ", dataset, ` · ${parts.join(" · ")}`, ...sweep];
}

async function start() {
  try {
    run.info = await api.get(`/api/runs/${runId}`);
  } catch (error) {
    $("run-status").textContent = "unknown";
    $("epoch-text").textContent = error.message;
    flash(error.message);
    return;
  }
  setStatus(run.info.status, run.info.waiting_for);
  setBar(run.info.epochs_done, run.info.fit.epochs);
  showChanges(run.info);
  openStream();
  $("run-about").replaceChildren(...describe(run.info, await names(run.info)));
}

start();
