// The run page's numbers: the epoch table (live), and once the run completes, its test
// metrics and the confusion matrix as a heat map, whose cells show their test images
// (run/examples.js).

import { $, el } from "../common.js";
import { showExamples } from "./examples.js";

export function fmtValue(value) {
  if (typeof value !== "number") return value ?? "";
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 0.001 || value === 0 ? value.toFixed(4) : value.toExponential(2);
}

// Columns: epoch, loss and val_loss, the other metrics, then learning rate and time.
function tableKeys(epochs) {
  const keys = new Set(epochs.flatMap((e) => Object.keys(e)));
  const tail = ["learning_rate", "epoch_time"];
  const middle = [...keys].filter((k) => !["epoch", "loss", "val_loss", ...tail].includes(k)).sort();
  return ["epoch", "loss", "val_loss", ...middle, ...tail].filter((k) => keys.has(k));
}

export function drawTable(epochs) {
  const keys = tableKeys(epochs);
  const head = $("epoch-table").tHead.rows[0];
  if ([...head.cells].map((c) => c.textContent).join() !== keys.join()) {
    head.replaceChildren(...keys.map((k) => el("th", { class: "num", text: k })));
  }
  const body = $("epoch-table").tBodies[0];
  const cell = (e, k) => (k === "epoch_time" ? `${e[k].toFixed(2)} s` : fmtValue(e[k]));
  body.replaceChildren(...epochs.map((e) => el("tr", {},
    keys.map((k) => el("td", { class: "num", text: cell(e, k) })))));
  $("epoch-empty").hidden = epochs.length > 0;
}

export function showResults(info) {
  const metrics = info.test_metrics || {};
  $("test-metrics").replaceChildren(...Object.entries(metrics).map(([k, v]) =>
    el("div", { "data-metric": k }, el("dt", { text: `test ${k}` }), el("dd", { text: fmtValue(v) }))));
  $("confusion").replaceChildren(
    info.confusion
      ? confusionTable(info.confusion, info.preprocessing.class_names || [], info.per_class_accuracy || [], info.id)
      : el("p", { class: "muted", text: "No confusion matrix: this run does not predict classes." }),
  );
  $("run-results").hidden = false;
}

// A heat map as a table: each cell is shaded by its share of the true class's row; a cell
// with samples is a button that shows them.
function confusionTable(matrix, names, perClass, runId) {
  const name = (i) => names[i] ?? String(i);
  const head = el("tr", {}, el("th", { text: "true \\ predicted" }),
    matrix.map((_, j) => el("th", { class: "num", text: name(j) })), el("th", { class: "num", text: "accuracy" }));
  const rows = matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((count, j) => {
      const share = count / total;
      const title = `true ${name(i)}, predicted ${name(j)}: ${count} (${(100 * share).toFixed(1)}%)`;
      const td = el("td", {
        class: `num cell${share > 0.5 ? " dark" : ""}${i === j ? " diagonal" : ""}`,
        style: { background: `rgba(48, 86, 211, ${share.toFixed(3)})` },
        title, "data-true": i, "data-predicted": j,
      });
      if (!count || runId === undefined) {
        td.textContent = String(count);
        return td;
      }
      td.append(el("button", { type: "button", "data-testid": "confusion-cell", text: String(count),
        "aria-label": `${title}: show these test images`,
        onclick: () => {
          td.closest("table").querySelectorAll("td.chosen").forEach((c) => c.classList.remove("chosen"));
          td.classList.add("chosen");
          showExamples(runId, i, j, names);
        } }));
      return td;
    });
    const acc = perClass[i];
    return el("tr", {}, el("th", { text: name(i) }), cells,
      el("td", { class: "num", text: acc === null || acc === undefined ? "–" : `${(100 * acc).toFixed(1)}%` }));
  });
  return el("table", { class: "confusion" }, el("thead", {}, head), el("tbody", {}, rows));
}
