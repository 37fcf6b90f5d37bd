// The selected layer's arguments as a form built from the catalog: one input per argument,
// of the argument's kind; only what differs from Keras's default is kept in the stack. An
// initializer or regularizer shows its own parameters (the l2 factor, a seed) under its choice.

import { $, el } from "../common.js";
import { renderFieldNotes } from "./notes.js";
import { objectEditor } from "./params.js";
import { catalog, changed, indexOf, same, state } from "./state.js";
import { formatValue, parseNumbers } from "./values.js";

export function renderArgsForm() {
  const index = indexOf(state.selected);
  const layer = state.layers[index];
  if (!layer) {
    $("args-title").textContent = "Arguments";
    $("args-body").replaceChildren(
      el("p", { class: "muted small", text: "Click a layer in the stack to edit its arguments." }));
    return;
  }
  const entry = catalog.types.get(layer.type);
  const args = entry ? entry.args : [];
  $("args-title").textContent = `Arguments of layer ${index}: ${layer.type}`;
  const nodes = [
    el("p", { class: "muted small", text: entry ? entry.help : "Unknown layer type." }),
    nameField(layer),
    el("div", { class: "b-args-grid" }, args.map((arg) => argField(layer, arg))),
  ];
  const extra = Object.keys(layer.args).filter((k) => !args.some((a) => a.name === k));
  if (extra.length) {
    nodes.push(el("p", { class: "muted small", text: `Also set: ${extra.join(", ")} (kept as loaded).` }));
  }
  $("args-body").replaceChildren(...nodes);
  renderFieldNotes();
}

function nameField(layer) {
  const row = state.rows.get(layer.uid);
  const input = el("input", {
    id: "layer-name", "data-testid": "layer-name", value: layer.name || "",
    placeholder: row ? row.name : "automatic", autocomplete: "off",
    oninput: (event) => {
      const name = event.target.value.trim();
      if (name) layer.name = name;
      else delete layer.name;
      changed();
    },
  });
  return el("div", { class: "b-field" },
    el("label", { for: "layer-name", text: "Layer name (optional)" }), input,
    el("div", { class: "b-field-problems", "data-for": "arg:__name" }));
}

function argField(layer, arg) {
  const has = Object.hasOwn(layer.args, arg.name);
  const value = has ? layer.args[arg.name] : arg.default;
  const onValue = (next) => {
    setArg(layer, arg, next);
    changed();
  };
  if (arg.kind === "object") {
    const registry = catalog.registries[arg.registry] || [];
    return objectEditor(arg, registry, value, { id: `arg-${arg.name}`, onValue });
  }
  return argEditor(arg, { value, has, id: `arg-${arg.name}`, onValue });
}

// One argument as a labelled input with its help and a slot for its problems; `onValue`
// gets the value as the API takes it (undefined: back to the default).
export function argEditor(arg, { value, has, id, testid = id, onValue, problems = `arg:${arg.name}` }) {
  const input = argInput(arg, value, has, id, testid);
  const live = input.tagName === "SELECT" || input.type === "checkbox" ? "change" : "input";
  input.addEventListener(live, () => onValue(readArg(arg, input)));
  const required = arg.required ? el("span", { class: "b-required", text: " required" }) : null;
  const label = input.type === "checkbox"
    ? el("label", { class: "b-check", for: id }, input, ` ${arg.name}`)
    : el("label", { for: id }, arg.name, required);
  return el("div", { class: "b-arg", "data-arg": arg.name },
    label, input.type === "checkbox" ? null : input,
    el("div", { class: "small muted", text: arg.help }),
    problems ? el("div", { class: "b-field-problems", "data-for": problems }) : null);
}

function argInput(arg, value, has, id, testid) {
  const common = { id, "data-testid": testid, name: arg.name };
  const placeholder = arg.required ? "required" : `default: ${formatValue(arg.default)}`;
  if (arg.kind === "bool") return el("input", { ...common, type: "checkbox", checked: Boolean(value) });
  if (arg.kind === "int" || arg.kind === "float") {
    return el("input", {
      ...common, type: "number", step: arg.kind === "int" ? "1" : "any",
      min: arg.min ?? null, max: arg.max ?? null, value: has ? value : "", placeholder,
    });
  }
  if (arg.kind === "choice") return selectOf(common, arg, arg.choices.map((c) => [c, c]), value);
  // int_tuple, shape, factor: free text, parsed on the way out ("3" or "3,3").
  const text = has && value !== null ? formatValue(value) : "";
  return el("input", { ...common, value: text, placeholder, autocomplete: "off" });
}

export function selectOf(common, arg, options, value) {
  const select = el("select", common);
  const empty = value === undefined || value === null;
  if (arg.nullable) select.append(el("option", { value: "", text: "— none —" }));
  else if (empty) select.append(el("option", { value: "", text: "— choose —" }));
  const key = typeof value === "string" ? value : JSON.stringify(value);
  if (!empty && !options.some(([v]) => v === key)) {
    // Something the form cannot express: keep it as it is.
    options = [[key, `custom: ${formatValue(value)}`], ...options];
  }
  for (const [v, text] of options) select.append(el("option", { value: v, text }));
  select.value = empty ? "" : key;
  return select;
}

function readArg(arg, input) {
  if (arg.kind === "bool") return input.checked;
  const raw = input.value.trim();
  if (raw === "") return arg.kind === "choice" && arg.nullable ? null : undefined;
  if (arg.kind === "int" || arg.kind === "float") {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw; // the server explains what it expected
  }
  if (arg.kind === "choice") return raw;
  const nums = parseNumbers(raw);
  if (nums === null) return raw;
  if (arg.kind === "shape") return nums;
  return nums.length === 1 ? nums[0] : nums; // int_tuple and factor: one number or a tuple
}

// Only what differs from the default is kept: an absent argument means Keras's default.
export function setArg(layer, arg, value) {
  if (value === undefined || (!arg.required && same(value, arg.default))) delete layer.args[arg.name];
  else layer.args[arg.name] = value;
}
