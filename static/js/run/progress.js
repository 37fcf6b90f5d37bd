// The run page's progress: the bar covers the whole run (the epochs done plus the current
// epoch's share of its batches), so it reaches 100% only when the run's last epoch ends and
// a run cancelled mid-epoch shows how far it really got. The text says where in the run and in
// the epoch it is, with the running loss the `progress` events carry (Keras's mean over the
// epoch's batches so far; the first report comes 0.25 s into an epoch).

import { $, fmtInt } from "../common.js";
import { fmtValue } from "./tables.js";

function fmtSeconds(s) {
  if (s < 1) return "under a second";
  if (s < 90) return `about ${Math.round(s)} s`;
  return `about ${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// `epochs`: how many epochs are done, fractions included; `total`: how many the run asks for.
export function setBar(epochs, total) {
  const share = total ? Math.min(1, Math.max(0, epochs / total)) : 0;
  const done = Number.isInteger(epochs) ? String(epochs) : epochs.toFixed(1);
  fill(share, total ? `${done} of ${plural(total, "epoch")}` : "not started");
}

function fill(share, words) {
  const bar = $("run-progress-bar");
  bar.firstElementChild.style.width = `${(100 * share).toFixed(2)}%`;
  bar.setAttribute("aria-valuenow", String(Math.floor(100 * share)));
  bar.setAttribute("aria-valuetext", words);
  $("overall-text").textContent = `${Math.floor(100 * share)}% of the run`;
}

// A `progress` event: epoch k of n, batch b of m, the running loss, the epoch's ETA. Later
// epochs' time is guessed from the ones so far (`epochTimes`).
export function showBatch(p, epochTimes) {
  setBar(p.epoch - 1 + p.batch / p.batches, p.epochs);
  $("epoch-text").textContent = `Epoch ${p.epoch} / ${p.epochs} · batch ${fmtInt(p.batch)} / ${fmtInt(p.batches)}`;
  const live = $("live-loss");
  live.hidden = typeof p.loss !== "number";
  live.textContent = typeof p.loss === "number" ? `loss ${fmtValue(p.loss)} so far this epoch` : "";
  const perEpoch = epochTimes.length ? epochTimes.reduce((a, b) => a + b, 0) / epochTimes.length : null;
  let text = `${fmtSeconds(p.eta_s)} left in this epoch`;
  if (perEpoch !== null && p.epochs > p.epoch) {
    text += `, ${fmtSeconds(p.eta_s + perEpoch * (p.epochs - p.epoch))} in all`;
  }
  $("eta-text").textContent = text;
}

export function showEpochDone(epoch, total) {
  setBar(epoch, total);
  $("epoch-text").textContent = `Epoch ${epoch}${total ? ` / ${total}` : ""} done`;
  $("live-loss").hidden = true;
  $("eta-text").textContent = "";
}

// What EarlyStopping did, from the run's record (`early_stopping`, set when it completes).
function earlyStopWords(record, total, patience) {
  const monitor = record.monitor;
  const weights = record.restored_best_weights
    ? `weights of epoch ${record.weights_epoch} kept (its best ${monitor}, restore_best_weights)`
    : `weights of epoch ${record.weights_epoch} kept (the last; restore_best_weights is off)`;
  if (record.stopped_epoch) {
    const why = record.best_epoch
      ? `${monitor} had not improved since epoch ${record.best_epoch} (patience ${patience})`
      : `${monitor} was never logged`;
    return `Stopped early at epoch ${record.stopped_epoch} of ${total}: ${why}; ${weights}.`;
  }
  return `Completed all ${plural(total, "epoch")}; early stopping never ran out of patience; ${weights}.`;
}

// The line the progress card ends on; `info` is the run's record, `last` its last epoch.
export function endWords(status, info, last) {
  const total = info ? info.fit.epochs : last;
  if (status === "completed") {
    const record = info && info.early_stopping;
    if (record) return earlyStopWords(record, total, info.fit.early_stopping?.patience ?? 0);
    return last === total ? `Completed all ${plural(total, "epoch")}.` : `Completed after ${last} of ${plural(total, "epoch")}.`;
  }
  const words = {
    failed: "The run failed.",
    cancelled: `Cancelled after ${last} of ${plural(total, "epoch")}; Resume continues from there.`,
    interrupted: `Interrupted after ${last} of ${plural(total, "epoch")}; Resume continues from there.`,
  };
  return words[status] || status;
}

// The end: a completed run's bar is full; any other keeps the epochs it finished, so a run
// cancelled mid-epoch does not look done.
export function showEnd(status, info, last) {
  if (status === "completed") fill(1, "finished");  // early stopping ends a run too
  else setBar(last, info ? info.fit.epochs : 0);
  $("epoch-text").textContent = endWords(status, info, last);
  $("live-loss").hidden = true;
  $("eta-text").textContent = "";
}
