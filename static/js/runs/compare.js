// The runs list's comparison of the ticked runs: their test metrics side by side, and the
// settings that differ between them (those all share are counted, not listed), read from
// each run's frozen snapshot (GET /api/runs/{id}: stack, compile, fit).

import { $, el } from "../common.js";
import { fmtValue } from "../run/tables.js";

// Nested settings as flat "path: value" pairs; a layer is named by its place and type, so
// two stacks that differ in one layer differ in that layer's rows only.
function flatten(value, path, out) {
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) {
    out[path] = `[${value.join(", ")}]`;
  } else if (value && typeof value === "object") {
    if (path) out[path] = "set";  // beside another run's "none" (early_stopping off, say)
    for (const [key, inner] of Object.entries(value)) flatten(inner, path ? `${path}.${key}` : key, out);
  } else {
    out[path] = value === null || value === undefined ? "none" : String(value);
  }
  return out;
}

export function settingsOf(info) {
  const stack = info.stack || {};
  const out = {
    architecture: info.architecture_name || "inline stack",
    dataset: info.dataset_name || (info.dataset_id ? `#${info.dataset_id}` : "deleted"),
    input_shape: `[${(stack.input_shape || []).join(", ")}]`,
    layers: String((stack.layers || []).length),
  };
  (stack.layers || []).forEach((layer, i) => {
    out[`layer ${i + 1}`] = layer.type;
    // Its arguments one by one: the layer's own row already says it is there.
    for (const [key, value] of Object.entries(layer.args || {})) {
      flatten(value, `layer ${i + 1} ${layer.type}.${key}`, out);
    }
  });
  flatten(stack.compile || {}, "compile", out);
  const { resources, ...fit } = info.fit || {};  // where it ran is not how it learned
  flatten(fit, "fit", out);
  return out;
}

// Where a setting's row goes: the stack's own rows, its layers in order (a layer only one
// run has beside the others' of the same place), then compile, then fit.
function place(key) {
  const layer = /^layer (\d+)/.exec(key);
  if (layer) return 1 + Number(layer[1]) / 1e4;
  if (key.startsWith("compile")) return 2;
  if (key.startsWith("fit")) return 3;
  return 0;
}

// Keys whose values are not the same in every run (missing counts as a value: "—").
export function differing(settings) {
  const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))];
  return keys.filter((k) => new Set(settings.map((s) => s[k] ?? "—")).size > 1)
    .map((key, i) => [place(key), i, key])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, , key]) => key);
}

function row(label, cells, attrs = {}) {
  return el("tr", attrs, el("th", { scope: "row", text: label }), cells.map((c) => el("td", { class: "num", text: c })));
}

export function drawComparison(infos) {
  const box = $("compare-details");
  box.hidden = infos.length === 0;
  if (!infos.length) return;
  const head = el("tr", {}, el("th", { text: "" }),
    infos.map((info) => el("th", { class: "num" }, el("a", { href: `/runs/${info.id}`, text: `#${info.id}` }))));
  const metricKeys = [...new Set(infos.flatMap((i) => Object.keys(i.test_metrics || {})))].sort();
  const metricRows = metricKeys.map((k) => row(`test ${k}`,
    infos.map((i) => (i.test_metrics && k in i.test_metrics ? fmtValue(i.test_metrics[k]) : "—")),
    { "data-testid": "compare-metric", "data-metric": k }));
  if (!metricRows.length) {
    metricRows.push(row("test metrics", infos.map((i) => (i.status === "completed" ? "no test split" : i.status))));
  }
  $("compare-metrics").replaceChildren(el("thead", {}, head), el("tbody", {}, metricRows));

  const settings = infos.map(settingsOf);
  const keys = infos.length > 1 ? differing(settings) : [];
  const all = new Set(settings.flatMap((s) => Object.keys(s))).size;
  $("compare-settings").replaceChildren(el("thead", {}, head.cloneNode(true)), el("tbody", {},
    keys.map((k) => row(k, settings.map((s) => s[k] ?? "—"), { "data-testid": "settings-diff", "data-key": k }))));
  $("compare-settings").hidden = keys.length === 0;
  $("settings-note").textContent = infos.length < 2
    ? "Tick a second run to see which settings differ."
    : keys.length
      ? `${keys.length} of ${all} settings differ; the other ${all - keys.length} are the same in every ticked run.`
      : `All ${all} settings are the same in every ticked run.`;
}
