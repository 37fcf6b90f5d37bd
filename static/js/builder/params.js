// Keras objects that take parameters (optimizers, losses, metrics, initializers,
// regularizers) as form fields generated from the catalog's own description of each class's
// arguments: nothing here lists a parameter. A value is kept as the API takes it: the string
// id while every parameter is at its default ("sgd"), else {"name": "SGD", "momentum": 0.9}
// with only what differs.

import { el, safeJson } from "../common.js";
import { argEditor, selectOf } from "./args.js";
import { findOption, isObject, nameOf, same } from "./state.js";

export function paramsOf(value) {
  if (!isObject(value)) return {};
  const { name: _name, ...params } = value;
  return params;
}

// `asObject` keeps {"name": ...} even with no parameter: Keras reads metrics=["accuracy"]
// and metrics=[Accuracy()] differently, so a metric keeps the form it was given in.
export function objectValue(option, params, asObject = false) {
  const kept = {};
  for (const [key, value] of Object.entries(params)) {
    const arg = option.args.find((a) => a.name === key);
    if (value === undefined || (arg && !arg.required && same(value, arg.default))) continue;
    kept[key] = value;
  }
  return Object.keys(kept).length || asObject ? { name: option.name, ...kept } : option.ids[0];
}

// One field per parameter of `option`; `onValue` gets the whole object's new value.
// `testids` renames some fields' test ids (the page's long-standing "learning-rate").
export function paramFields(option, value, { prefix, testids = {}, onValue, asObject = false }) {
  if (!option.args.length) return null;
  const params = paramsOf(value);
  const fields = option.args.map((arg) => {
    const has = Object.hasOwn(params, arg.name);
    const id = `${prefix}-${arg.name}`;
    return argEditor(arg, {
      value: has ? params[arg.name] : arg.default, has, id, testid: testids[arg.name] || id,
      problems: null,
      onValue: (next) => {
        if (next === undefined) delete params[arg.name];
        else params[arg.name] = next;
        onValue(objectValue(option, params, asObject));
      },
    });
  });
  // The first parameters (the learning rate and momentum, from_logits) are in view; the rest
  // fold away unless one of them is set, so the form stays short.
  const rest = fields.slice(VISIBLE);
  const open = option.args.slice(VISIBLE).some((arg) => Object.hasOwn(params, arg.name));
  const more = rest.length ? el("details", { class: "b-more-params", open },
    el("summary", { text: `More ${option.name} parameters (${option.args.slice(VISIBLE).map((a) => a.name).join(", ")})` }),
    el("div", { class: "b-params" }, rest)) : null;
  return el("div", { class: "b-params", "data-params-of": option.name }, fields.slice(0, VISIBLE), more);
}

const VISIBLE = 2;

// A layer argument that is a Keras object (kernel_initializer, kernel_regularizer, ...): the
// class to use, then that class's parameters, redrawn when the class changes.
export function objectEditor(arg, registry, value, { id, onValue }) {
  const found = value !== null && value !== undefined ? findOption(registry, nameOf(value)) : null;
  const options = registry.map((o) => [o.ids[0], `${o.ids[0]} (${o.name})`]);
  const select = selectOf({ id, "data-testid": id, name: arg.name }, arg, options,
    found ? found.ids[0] : value);
  const box = el("div", { class: "b-object-params" });
  let current = value;
  const drawParams = () => {
    const option = current !== null && current !== undefined ? findOption(registry, nameOf(current)) : null;
    const fields = option && paramFields(option, current, {
      prefix: id, onValue: (next) => { current = next; onValue(next); },
    });
    box.replaceChildren(...(fields ? [fields] : []));
  };
  select.addEventListener("change", () => {
    const raw = select.value;
    if (raw === "") current = arg.nullable ? null : undefined;
    else current = raw.startsWith("{") ? safeJson(raw) : raw;
    onValue(current);
    drawParams();
  });
  drawParams();
  return el("div", { class: "b-arg b-arg-object", "data-arg": arg.name },
    el("label", { for: id }, arg.name), select,
    el("div", { class: "small muted", text: arg.help }), box,
    el("div", { class: "b-field-problems", "data-for": `arg:${arg.name}` }));
}
