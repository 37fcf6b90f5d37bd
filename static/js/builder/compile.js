// Compile settings: optimizer (and its learning rate), loss (and from_logits), metrics.
// Choices come from GET /api/compile-options; parameters this form does not show are kept.

import { $, el, fillSelect } from "../common.js";
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
  const lrArg = opt && opt.args.find((a) => a.name === "learning_rate");
  $("learning-rate").value = isObject(optimizer) ? optimizer.learning_rate ?? "" : "";
  $("learning-rate").placeholder = lrArg ? `default: ${lrArg.default}` : "";
  const lossOpt = findOption(catalog.losses, nameOf(loss));
  fillOptions($("loss"), catalog.losses, lossOpt, true);
  $("from-logits").disabled = !(lossOpt && lossOpt.args.some((a) => a.name === "from_logits"));
  $("from-logits").checked = Boolean(isObject(loss) && loss.from_logits);
  renderMetrics();
}

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
}

function toggleMetric(metric, on) {
  const rest = (state.compile.metrics || []).filter((x) => !findOption([metric], nameOf(x)));
  state.compile.metrics = on ? [...rest, metric.ids[0]] : rest;
  changed();
}

// Parameters this form does not show (e.g. SGD's momentum) are kept while the choice stays
// the same; an object left with nothing but its name collapses back to the string id.
function withParams(option, before, params) {
  const kept = isObject(before) && findOption([option], before.name) ? { ...before } : {};
  delete kept.name;
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) delete kept[key];
    else kept[key] = value;
  }
  return Object.keys(kept).length ? { name: option.name, ...kept } : option.ids[0];
}

// Typing a learning rate does not redraw the form, so the field keeps what is being typed.
function onOptimizerChange(redraw = true) {
  const opt = findOption(catalog.optimizers, $("optimizer").value);
  const raw = $("learning-rate").value.trim();
  const lr = raw === "" ? undefined : Number.isFinite(Number(raw)) ? Number(raw) : raw;
  state.compile.optimizer = withParams(opt, state.compile.optimizer, { learning_rate: lr });
  if (redraw) renderCompileForm();
  changed();
}

function onLossChange() {
  const loss = findOption(catalog.losses, $("loss").value);
  const logits = $("from-logits").checked && loss && loss.args.some((a) => a.name === "from_logits");
  const params = { from_logits: logits || undefined };
  state.compile.loss = loss ? withParams(loss, state.compile.loss, params) : null;
  renderCompileForm();
  changed();
}

export function wireCompileForm() {
  $("optimizer").addEventListener("change", () => {
    $("learning-rate").value = ""; // each optimizer has its own default rate
    onOptimizerChange();
  });
  $("learning-rate").addEventListener("input", () => onOptimizerChange(false));
  $("loss").addEventListener("change", onLossChange);
  $("from-logits").addEventListener("change", onLossChange);
}
