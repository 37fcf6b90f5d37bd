// Compile settings: the optimizer, the loss and the metrics, each with every parameter its
// Keras class takes (SGD's momentum, the loss's from_logits, TopK's k), all generated from
// GET /api/compile-options.

import { $, el, fillSelect } from "../common.js";
import { objectValue, paramFields, paramsOf } from "./params.js";
import { catalog, changed, findOption, isObject, nameOf, state } from "./state.js";

// A compile option list as a <select>: its first id as the value, its class name as the text.
function fillOptions(select, options, chosen, blank) {
  fillSelect(select, options, {
    value: (o) => o.ids[0], text: (o) => o.name, title: (o) => o.help,
    blank: blank ? "— none —" : null, chosen: chosen ? chosen.ids[0] : null,
  });
}

export function renderCompileForm() {
  const { optimizer, loss } = state.compile;
  const opt = findOption(catalog.optimizers, nameOf(optimizer));
  fillOptions($("optimizer"), catalog.optimizers, opt, false);
  $("optimizer-help").textContent = opt ? opt.help : "";
  $("optimizer-params").replaceChildren(...present(opt && paramFields(opt, optimizer, {
    prefix: "optimizer", testids: { learning_rate: "learning-rate" },
    onValue: (value) => { state.compile.optimizer = value; changed(); },
  })));
  const lossOpt = findOption(catalog.losses, nameOf(loss));
  fillOptions($("loss"), catalog.losses, lossOpt, true);
  $("loss-help").textContent = lossOpt ? lossOpt.help : "";
  $("loss-params").replaceChildren(...present(lossOpt && paramFields(lossOpt, loss, {
    prefix: "loss", testids: { from_logits: "from-logits" },
    onValue: (value) => { state.compile.loss = value; changed(); },
  })));
  renderMetrics();
}

const present = (node) => (node ? [node] : []);

function renderMetrics() {
  const chosen = state.compile.metrics || [];
  $("metrics").replaceChildren(...catalog.metrics.map((m) => {
    const on = chosen.some((x) => findOption([m], nameOf(x)));
    const box = el("input", {
      type: "checkbox", value: m.ids[0], checked: on, "data-testid": `metric-${m.ids[0]}`,
      onchange: (event) => toggleMetric(m, event.target.checked),
    });
    return el("label", { class: "b-check b-metric", title: m.help }, box, ` ${m.ids[0]}`);
  }));
  // A chosen metric that takes parameters (k, a threshold, a class) shows them below.
  $("metric-params").replaceChildren(...chosen.map((value, i) => {
    const option = findOption(catalog.metrics, nameOf(value));
    const fields = option && paramFields(option, value, {
      prefix: `metric-${option.ids[0]}`, asObject: isObject(value),
      onValue: (next) => { state.compile.metrics[i] = next; changed(); },
    });
    return fields && el("div", { class: "b-metric-params" },
      el("div", { class: "small", text: `${option.name}: ${option.help}` }), fields);
  }).filter(Boolean));
}

function toggleMetric(metric, on) {
  const rest = (state.compile.metrics || []).filter((x) => !findOption([metric], nameOf(x)));
  state.compile.metrics = on ? [...rest, metric.ids[0]] : rest;
  renderMetrics();
  changed();
}

// A new optimizer starts at its own defaults (each has its own learning rate); a new loss
// keeps the parameters it shares with the old one (from_logits).
function onOptimizerChange() {
  const opt = findOption(catalog.optimizers, $("optimizer").value);
  state.compile.optimizer = opt.ids[0];
  renderCompileForm();
  changed();
}

function onLossChange() {
  const loss = findOption(catalog.losses, $("loss").value);
  const before = paramsOf(state.compile.loss);
  const shared = Object.fromEntries(Object.entries(before)
    .filter(([key]) => loss && loss.args.some((a) => a.name === key)));
  state.compile.loss = loss ? objectValue(loss, shared) : null;
  renderCompileForm();
  changed();
}

export function wireCompileForm() {
  $("optimizer").addEventListener("change", onOptimizerChange);
  $("loss").addEventListener("change", onLossChange);
}
