// The sweep's runs as a table, best first: rank, run, status, one column per setting varied,
// epochs, the best value of the ranking metric (and its epoch), test accuracy.

import { el } from "../common.js";

// "compile.optimizer.learning_rate" -> "learning_rate"; "layers[1].args.units" -> "layers[1] units"
export function settingLabel(path) {
  const layer = path.match(/^layers\[(\d+)\]\.args\.(\w+)$/);
  return layer ? `layers[${layer[1]}] ${layer[2]}` : path.split(".").pop();
}

export function fmtValue(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, "");
}

function testAccuracy(run) {
  const metrics = run.test_metrics || {};
  return "accuracy" in metrics ? fmtValue(metrics.accuracy) : "–";
}

export function drawTable(table, sweep) {
  const paths = Object.keys(sweep.grid);
  const head = ["#", "Run", "Status", ...paths.map(settingLabel), "Epochs",
    `Best ${sweep.metric || "value"}`, "at epoch", "Test accuracy"];
  table.tHead.rows[0].replaceChildren(...head.map((text, i) =>
    el("th", { text, title: i >= 3 && i < 3 + paths.length ? paths[i - 3] : null })));
  table.tBodies[0].replaceChildren(...sweep.runs.map((run) => el("tr",
    { "data-testid": `sweep-run-${run.id}`, "data-rank": run.rank ?? "",
      class: run.id === sweep.best_run_id ? "best" : null },
    el("td", { class: "num", text: run.rank ?? "–" }),
    el("td", {}, el("a", { href: `/runs/${run.id}`, text: `#${run.id}` })),
    el("td", {}, el("span", { class: `badge ${run.status}`, text: run.status, title: run.error || null })),
    ...paths.map((path) => el("td", { class: "num", text: fmtValue(run.params[path]) })),
    el("td", { class: "num", text: `${run.epochs_done} / ${run.epochs}` }),
    el("td", { class: "num", "data-testid": `best-${run.id}`, text: fmtValue(run.best) }),
    el("td", { class: "num", text: run.best_epoch ?? "–" }),
    el("td", { class: "num", text: testAccuracy(run) }))));
}
