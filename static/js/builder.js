// The builder page: a palette of layer types, the stack (SortableJS), each layer's arguments,
// compile settings, and the live summary from POST /api/summary. Everything it does goes
// through the same JSON API a script would use; the page keeps no rules of its own, so the
// catalog (GET /api/layers) drives the palette and the forms, and the server judges the stack.
"use strict";

const SUMMARY_DEBOUNCE_MS = 150;
const DRAFT_PREFIX = "layerstack.builder.draft.";
const STARTER_SHAPE = "8,8"; // the built-in digits dataset
const DEFAULT_COMPILE = {
  optimizer: "adam",
  loss: "sparse_categorical_crossentropy",
  metrics: ["accuracy"],
};

// The tutorial's models, one click away for a first-time visitor.
const TEMPLATES = {
  mlp: {
    name: "MLP for 8x8 digits",
    inputShapeText: "8,8",
    layers: [
      { type: "Flatten", args: {} },
      { type: "Dense", args: { units: 64, activation: "relu" } },
      { type: "Dense", args: { units: 10, activation: "softmax" } },
    ],
    compile: DEFAULT_COMPILE,
  },
  cnn: {
    name: "Tutorial CNN (32x32x3)",
    inputShapeText: "32,32,3",
    layers: [
      { type: "Conv2D", args: { filters: 16, kernel_size: 3, activation: "relu" } },
      { type: "MaxPooling2D", args: { pool_size: 3 } },
      { type: "Flatten", args: {} },
      { type: "Dense", args: { units: 64, activation: "relu" } },
      { type: "Dense", args: { units: 10, activation: "softmax" } },
    ],
    compile: DEFAULT_COMPILE,
  },
};

const $ = (id) => document.getElementById(id);
const clone = (value) => JSON.parse(JSON.stringify(value));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
// Compile settings and objects are a string id ("adam") or an object with a name.
const nameOf = (value) => (isObject(value) ? value.name : value);

// What the server told us about layer types and compile choices.
const catalog = {
  types: new Map(), // type and alias -> catalog entry
  groups: [],
  registries: {}, // "initializer" / "regularizer" -> options
  optimizers: [],
  losses: [],
  metrics: [],
};

// The page's one source of truth. Layers carry a `uid` so that answers about an older stack
// (problems, summary rows, fixes) still land on the right layer after it moved.
const state = {
  id: null,
  name: "Untitled",
  inputShapeText: STARTER_SHAPE,
  layers: [], // {uid, type, args, name?}
  compile: clone(DEFAULT_COMPILE),
  selected: null, // uid of the layer whose arguments are open
  baseline: "", // snapshot() of what is saved (or of the starter), to tell unsaved changes
  discard: null, // what "discard" goes back to after a draft was restored
  rows: new Map(), // uid -> summary row
  notes: { layers: new Map(), fields: new Map() }, // problems and warnings, where they belong
};
let nextUid = 1;
let summarySeq = 0;
let summaryTimer = null;
let summaryFlashed = false;

/* ---------- catalog ---------- */

async function loadCatalog() {
  const [layers, options] = await Promise.all([
    api.get("/api/layers"),
    api.get("/api/compile-options"),
  ]);
  catalog.groups = layers.groups;
  for (const entry of layers.layers) {
    catalog.types.set(entry.type, entry);
    for (const alias of entry.aliases) catalog.types.set(alias, entry);
  }
  catalog.registries = { initializer: layers.initializers, regularizer: layers.regularizers };
  catalog.optimizers = options.optimizers;
  catalog.losses = options.losses;
  catalog.metrics = options.metrics;
}

// Optimizers, losses, metrics, initializers may be named by id ("adam") or class ("Adam").
function findOption(list, nameOrId) {
  if (typeof nameOrId !== "string") return null;
  const key = nameOrId.toLowerCase();
  return list.find((o) => o.name.toLowerCase() === key || o.ids.includes(key)) || null;
}

/* ---------- palette ---------- */

function renderPalette() {
  const box = $("palette");
  box.replaceChildren();
  const entries = [...new Set(catalog.types.values())];
  for (const group of catalog.groups) {
    const items = entries.filter((e) => e.group === group).map(paletteItem);
    const list = el("ul", { class: "b-palette-list", "data-group": group }, items);
    box.append(el("h3", { class: "b-group", text: group }), list);
    // pull: "clone" leaves the item in the palette; put: false keeps the palette unchanged.
    Sortable.create(list, { group: { name: "layers", pull: "clone", put: false }, sort: false });
  }
}

function paletteItem(entry) {
  const aliases = entry.aliases.length ? ` (also called ${entry.aliases.join(", ")})` : "";
  return el("li", {
    class: "b-palette-item", tabindex: "0", role: "button",
    "data-type": entry.type, "data-testid": `palette-${entry.type}`,
    title: entry.help + aliases,
  }, entry.type);
}

// Delegated, because SortableJS moves the dragged node out and leaves a copy without listeners.
function onPaletteActivate(event) {
  const item = event.target.closest(".b-palette-item");
  if (!item) return;
  if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
  event.preventDefault();
  const at = state.selected ? indexOf(state.selected) + 1 : state.layers.length;
  addLayer(item.dataset.type, at);
}

/* ---------- the stack ---------- */

function indexOf(uid) {
  return state.layers.findIndex((layer) => layer.uid === uid);
}

function makeLayer(type, args = null, name = undefined) {
  const entry = catalog.types.get(type);
  const layer = { uid: nextUid++, type: entry ? entry.type : type, args: {} };
  if (args) layer.args = clone(args);
  else if (entry) {
    // Required arguments start at the catalog's example, so a new layer builds at once.
    for (const arg of entry.args) {
      if (arg.required && arg.example !== undefined) layer.args[arg.name] = arg.example;
    }
  }
  if (name) layer.name = name;
  return layer;
}

function addLayer(type, at, args = null) {
  const layer = makeLayer(type, args);
  state.layers.splice(Math.max(0, Math.min(at, state.layers.length)), 0, layer);
  state.selected = layer.uid;
  changed({ form: true });
}

function moveLayer(from, to) {
  if (to < 0 || to >= state.layers.length || from === to) return;
  const [layer] = state.layers.splice(from, 1);
  state.layers.splice(to, 0, layer);
  changed({ form: true }); // the form's title names the layer's index
}

function duplicateLayer(index) {
  const copy = makeLayer(state.layers[index].type, state.layers[index].args); // unnamed: names are unique
  state.layers.splice(index + 1, 0, copy);
  state.selected = copy.uid;
  changed({ form: true });
}

function removeLayer(index) {
  const [gone] = state.layers.splice(index, 1);
  if (state.selected === gone.uid) state.selected = null;
  changed({ form: true });
}

function setupStackSortable() {
  Sortable.create($("stack"), {
    group: { name: "layers", pull: false, put: true },
    draggable: ".layer",
    filter: "button", // buttons click, they do not start drags
    preventOnFilter: false,
    animation: 120,
    onAdd(event) {
      // The dropped node is the palette's; the state is the truth, so drop it and re-render.
      const type = event.item.dataset.type;
      event.item.remove();
      addLayer(type, event.newIndex);
    },
    onUpdate(event) {
      moveLayer(event.oldIndex, event.newIndex);
    },
  });
}

function onStackClick(event) {
  const item = event.target.closest("li.layer");
  if (!item) return;
  const uid = Number(item.dataset.uid);
  const button = event.target.closest("button[data-action]");
  if (!button) {
    selectLayer(uid);
    return;
  }
  const index = indexOf(uid);
  const action = button.dataset.action;
  if (action === "up" || action === "down") moveLayer(index, action === "up" ? index - 1 : index + 1);
  else if (action === "duplicate") duplicateLayer(index);
  else if (action === "remove") removeLayer(index);
  // "fix" buttons are handled by onFixClick, wherever they are.
}

function onStackKey(event) {
  if ((event.key === "Enter" || event.key === " ") && event.target.matches("li.layer")) {
    event.preventDefault();
    selectLayer(Number(event.target.dataset.uid));
  }
}

function selectLayer(uid) {
  state.selected = uid;
  renderStack();
  renderArgsForm();
}

function renderStack() {
  const focus = focusInStack();
  $("stack").replaceChildren(...state.layers.map(renderLayer));
  restoreFocus(focus);
  $("stack-hint").hidden = state.layers.length > 0;
  renderFieldNotes();
}

// The stack is redrawn on every change and every summary answer; the keyboard must stay
// where it was: on the same button of the same layer (even after it moved), or on the layer
// that took a removed one's place.
function focusInStack() {
  const active = document.activeElement;
  const item = active && $("stack").contains(active) ? active.closest("li.layer") : null;
  if (!item) return null;
  const index = [...$("stack").children].indexOf(item);
  return { uid: item.dataset.uid, action: active.dataset.action, index };
}

function restoreFocus(focus) {
  if (!focus) return;
  const stack = $("stack");
  const item = stack.querySelector(`li[data-uid="${focus.uid}"]`);
  if (!item) {
    const next = stack.children[Math.min(focus.index, stack.children.length - 1)];
    if (next) next.focus();
    return;
  }
  const button = focus.action ? item.querySelector(`button[data-action="${focus.action}"]`) : null;
  (button && !button.disabled ? button : item).focus();
}

function renderLayer(layer, index) {
  const row = state.rows.get(layer.uid);
  const selected = layer.uid === state.selected;
  const facts = row ? `${fmtShape(row.output_shape)} · ${fmtInt(row.params)} params` : null;
  const button = (action, text, label, disabled = false) => el("button", {
    type: "button", "data-action": action, "aria-label": label, title: label, disabled,
  }, text);
  return el("li", {
    class: selected ? "layer selected" : "layer", tabindex: "0", "aria-current": selected ? "true" : null,
    "data-uid": layer.uid, "data-testid": `layer-${index}`, "data-type": layer.type,
  },
  el("div", { class: "b-layer-row" },
    el("span", { class: "b-layer-index", text: String(index) }),
    el("span", { class: "b-layer-title" },
      el("strong", { text: layer.type }), " ",
      el("span", { class: "muted small", text: layer.name || (row ? row.name : "") })),
    el("span", { class: "b-layer-buttons" },
      button("up", "↑", "Move up", index === 0),
      button("down", "↓", "Move down", index === state.layers.length - 1),
      button("duplicate", "Duplicate", "Duplicate"),
      button("remove", "Remove", "Remove"))),
  el("div", { class: "b-layer-meta small muted" },
    facts && el("span", { class: "b-layer-facts", text: facts }),
    el("span", { class: "b-layer-args", text: argsText(layer.args) })),
  (state.notes.layers.get(layer.uid) || []).map(renderNote));
}

function argsText(args) {
  const show = (v) => (isObject(v) ? JSON.stringify(v) : v);
  return Object.entries(args).map(([k, v]) => `${k}=${show(v)}`).join(", ");
}

/* ---------- arguments form ---------- */

function renderArgsForm() {
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
  if (args.some((a) => a.kind === "object")) {
    nodes.push(el("p", { class: "muted small", text:
      "Initializers and regularizers are chosen by id here, with their default parameters; " +
      "set their parameters (e.g. the l2 factor, a seed) through the API." }));
  }
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
  const id = `arg-${arg.name}`;
  const has = Object.hasOwn(layer.args, arg.name);
  const input = argInput(arg, has ? layer.args[arg.name] : arg.default, has, id);
  const live = input.tagName === "SELECT" || input.type === "checkbox" ? "change" : "input";
  input.addEventListener(live, () => {
    setArg(layer, arg, readArg(arg, input));
    changed();
  });
  const required = arg.required ? el("span", { class: "b-required", text: " required" }) : null;
  const label = input.type === "checkbox"
    ? el("label", { class: "b-check", for: id }, input, ` ${arg.name}`)
    : el("label", { for: id }, arg.name, required);
  return el("div", { class: "b-arg", "data-arg": arg.name },
    label, input.type === "checkbox" ? null : input,
    el("div", { class: "small muted", text: arg.help }),
    el("div", { class: "b-field-problems", "data-for": `arg:${arg.name}` }));
}

function argInput(arg, value, has, id) {
  const common = { id, "data-testid": id, name: arg.name };
  const placeholder = arg.required ? "required" : `default: ${formatValue(arg.default)}`;
  if (arg.kind === "bool") return el("input", { ...common, type: "checkbox", checked: Boolean(value) });
  if (arg.kind === "int" || arg.kind === "float") {
    return el("input", {
      ...common, type: "number", step: arg.kind === "int" ? "1" : "any",
      min: arg.min ?? null, max: arg.max ?? null, value: has ? value : "", placeholder,
    });
  }
  if (arg.kind === "choice") return selectOf(common, arg, arg.choices.map((c) => [c, c]), value);
  if (arg.kind === "object") {
    const registry = catalog.registries[arg.registry] || [];
    const options = registry.map((o) => [o.ids[0], `${o.ids[0]} (${o.name})`]);
    return selectOf(common, arg, options, objectId(registry, value));
  }
  // int_tuple, shape, factor: free text, parsed on the way out ("3" or "3,3").
  const text = has ? formatValue(value) : "";
  return el("input", { ...common, value: text, placeholder, autocomplete: "off" });
}

function selectOf(common, arg, options, value) {
  const select = el("select", common);
  const empty = value === undefined || value === null;
  if (arg.nullable) select.append(el("option", { value: "", text: "— none —" }));
  else if (empty) select.append(el("option", { value: "", text: "— choose —" }));
  const key = typeof value === "string" ? value : JSON.stringify(value);
  if (!empty && !options.some(([v]) => v === key)) {
    // Something the form cannot express (an object with parameters): keep it as it is.
    options = [[key, `custom: ${formatValue(value)}`], ...options];
  }
  for (const [v, text] of options) select.append(el("option", { value: v, text }));
  select.value = empty ? "" : key;
  return select;
}

// "l1l2" or {"name": "HeNormal"} (no parameters) show as the registry's first id.
function objectId(registry, value) {
  const bare = isObject(value) && Object.keys(value).length === 1;
  const found = typeof value === "string" || bare ? findOption(registry, nameOf(value)) : null;
  return found ? found.ids[0] : value;
}

function readArg(arg, input) {
  if (arg.kind === "bool") return input.checked;
  const raw = input.value.trim();
  const isSelect = arg.kind === "choice" || arg.kind === "object";
  if (raw === "") return isSelect && arg.nullable ? null : undefined;
  if (arg.kind === "int" || arg.kind === "float") {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw; // the server explains what it expected
  }
  if (arg.kind === "choice") return raw;
  if (arg.kind === "object") return raw.startsWith("{") ? safeJson(raw) : raw;
  const nums = parseNumbers(raw);
  if (nums === null) return raw;
  if (arg.kind === "shape") return nums;
  return nums.length === 1 ? nums[0] : nums; // int_tuple and factor: one number or a tuple
}

// "3", "3,3", "(28, 28, 1)", "28x28x1" -> its parts; an "x" counts only between two numbers.
function splitDims(text) {
  return text.replace(/[()[\]]/g, " ")
    .replace(/(\d)\s*[x×]\s*(?=\d)/g, "$1,")
    .split(/[\s,]+/)
    .filter(Boolean);
}

// Numbers, or null when something is not a number.
function parseNumbers(text) {
  const parts = splitDims(text);
  const nums = parts.map(Number);
  return parts.length && nums.every(Number.isFinite) ? nums : null;
}

function formatValue(value) {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.join(",");
  if (isObject(value)) return JSON.stringify(value);
  return String(value);
}

// Only what differs from the default is kept: an absent argument means Keras's default.
function setArg(layer, arg, value) {
  if (value === undefined || (!arg.required && same(value, arg.default))) delete layer.args[arg.name];
  else layer.args[arg.name] = value;
}

/* ---------- input shape and compile settings ---------- */

function parseInputShape(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const dims = splitDims(trimmed).map((p) => (/^(none|null)$/i.test(p) ? null : Number(p)));
  // Not numbers: send the text as typed, so the server says what it expected next to the field.
  return dims.every((d) => d === null || Number.isInteger(d)) ? dims : trimmed;
}

function renderCompileForm() {
  const { optimizer, loss } = state.compile;
  const opt = findOption(catalog.optimizers, nameOf(optimizer));
  fillSelect($("optimizer"), catalog.optimizers, opt, false);
  const lrArg = opt && opt.args.find((a) => a.name === "learning_rate");
  $("learning-rate").value = isObject(optimizer) ? optimizer.learning_rate ?? "" : "";
  $("learning-rate").placeholder = lrArg ? `default: ${lrArg.default}` : "";
  const lossOpt = findOption(catalog.losses, nameOf(loss));
  fillSelect($("loss"), catalog.losses, lossOpt, true);
  $("from-logits").disabled = !(lossOpt && lossOpt.args.some((a) => a.name === "from_logits"));
  $("from-logits").checked = Boolean(isObject(loss) && loss.from_logits);
  renderMetrics();
}

function fillSelect(select, options, chosen, blank) {
  select.replaceChildren(
    ...(blank ? [el("option", { value: "", text: "— none —" })] : []),
    ...options.map((o) => el("option", { value: o.ids[0], text: o.name, title: o.help })));
  select.value = chosen ? chosen.ids[0] : "";
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

/* ---------- the stack as the API sees it ---------- */

function apiLayers() {
  return state.layers.map((l) => ({ type: l.type, args: l.args, ...(l.name ? { name: l.name } : {}) }));
}

function payload() {
  const { name, inputShapeText, compile } = state;
  return { name, input_shape: parseInputShape(inputShapeText), layers: apiLayers(), compile };
}

// What a draft stores and what "unsaved" compares: the form as typed, not yet judged.
function draftOf() {
  const { name, inputShapeText, compile } = state;
  return clone({ name, inputShapeText, layers: apiLayers(), compile });
}

function snapshot() {
  return JSON.stringify(draftOf());
}

function adopt(stack) {
  state.name = stack.name || "Untitled";
  state.inputShapeText = stack.inputShapeText ?? "";
  state.layers = (stack.layers || []).map((l) => makeLayer(l.type, l.args || {}, l.name));
  state.compile = clone(stack.compile || DEFAULT_COMPILE);
  state.compile.metrics = state.compile.metrics || [];
  state.selected = null;
  state.rows = new Map();
  state.notes = { layers: new Map(), fields: new Map() };
}

function fromApi(arch) {
  const dims = arch.input_shape || [];
  return { ...arch, inputShapeText: dims.map((d) => (d === null ? "None" : d)).join(",") };
}

/* ---------- every change ---------- */

function changed({ form = false } = {}) {
  renderStack();
  if (form) renderArgsForm();
  persistDraft();
  scheduleSummary();
}

function renderAll() {
  $("arch-name").value = state.name;
  $("input-shape").value = state.inputShapeText;
  renderCompileForm();
  renderStack();
  renderArgsForm();
  renderSaved();
  persistDraft();
  scheduleSummary();
}

/* ---------- live summary ---------- */

function scheduleSummary() {
  clearTimeout(summaryTimer);
  summaryTimer = setTimeout(runSummary, SUMMARY_DEBOUNCE_MS);
}

async function runSummary() {
  const seq = ++summarySeq;
  const uids = state.layers.map((l) => l.uid);
  if (!uids.length) {
    setNotes([], [], uids);
    renderSummary(null, "Add layers to see the summary.");
    renderStack();
    return;
  }
  $("summary-status").textContent = "updating…";
  try {
    const summary = await api.post("/api/summary", payload());
    if (seq !== summarySeq) return; // an answer to an older stack: a newer one is on its way
    if (summaryFlashed) flash("");
    summaryFlashed = false;
    state.rows = new Map(summary.layers.map((row, i) => [uids[i], row]));
    setNotes([], summary.warnings, uids);
    renderSummary(summary);
  } catch (error) {
    if (seq !== summarySeq) return;
    state.rows = new Map();
    setNotes(error.problems || [], [], uids);
    if (!(error.problems || []).length) {
      flash(`The summary could not be computed: ${error.message}`);
      summaryFlashed = true; // cleared by the next answer that works
    }
    renderSummary(null, "No summary: the stack does not build yet. Fix the problem marked in red.");
  }
  renderStack();
}

// The same table as model.summary(): name (type), output shape, parameters, then totals.
function renderSummary(summary, message) {
  $("summary-status").textContent = "";
  const box = $("summary");
  if (!summary) {
    box.replaceChildren(el("p", { class: "muted small", "data-testid": "summary-message", text: message }));
    return;
  }
  const rows = summary.layers.map((row) => el("tr", { "data-testid": `summary-row-${row.index}` },
    el("td", { text: `${row.name} (${row.type})` }),
    el("td", { text: fmtShape(row.output_shape) }),
    el("td", { class: "num", text: fmtInt(row.params) })));
  const head = el("tr", {},
    el("th", { text: "Layer (type)" }), el("th", { text: "Output shape" }),
    el("th", { class: "num", text: "Param #" }));
  const total = (label, value, testid) =>
    el("div", {}, el("dt", { text: label }), el("dd", { "data-testid": testid, text: value }));
  box.replaceChildren(
    el("table", { class: "b-summary-table" }, el("thead", {}, head), el("tbody", {}, rows)),
    el("dl", { class: "b-totals" },
      total("Total params", fmtInt(summary.total_params), "total-params"),
      total("Trainable params", fmtInt(summary.trainable_params), "trainable-params"),
      total("Non-trainable params", fmtInt(summary.non_trainable_params), "non-trainable-params"),
      total("Model size (float32 weights)", fmtBytes(summary.size_bytes), "model-size")));
  if (!summary.built) {
    box.append(el("p", { class: "muted small",
      text: "Not built: set an input shape to see shapes and parameter counts." }));
  }
}

// As Keras prints it: 1 KB = 1024 bytes.
function fmtBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/* ---------- problems, warnings, fixes ---------- */

const FIELD_KEYS = ["name", "input_shape", "layers", "compile", "compile.optimizer", "compile.loss",
  "compile.metrics"];
const noteRegistry = new Map(); // note id -> note, so a fix button can find its note
let nextNote = 1;

// Problems (a 422's detail) and warnings land on the layer they name, or beside the field.
// Each note remembers the uids of the stack it was about, since fixes count by index.
function setNotes(problems, warnings, uids) {
  noteRegistry.clear();
  state.notes = { layers: new Map(), fields: new Map() };
  for (const p of problems) {
    placeNote(p.loc || [], null, { kind: "problem", msg: p.msg, fix: p.fix }, uids);
  }
  for (const w of warnings) {
    placeNote(w.loc || [], w.index ?? null, { kind: "warning", msg: w.msg, fix: w.fix }, uids);
  }
}

function placeNote(loc, index, note, uids) {
  Object.assign(note, { id: nextNote++, uids });
  noteRegistry.set(note.id, note);
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  if (index === null && path[0] === "layers" && Number.isInteger(path[1])) index = path[1];
  if (index !== null && uids[index] !== undefined) {
    note.uid = uids[index];
    pushTo(state.notes.layers, note.uid, note);
    // Also under the argument's own input, while that layer's form is open.
    const field = path[2] === "args" ? path[3] : path[2] === "name" ? "__name" : null;
    if (field) pushTo(state.notes.fields, `arg:${field}`, { ...note, onlyFor: note.uid });
    return;
  }
  const sub = ["optimizer", "loss", "metrics"].includes(path[1]) ? `.${path[1]}` : "";
  const key = path[0] === "compile" ? `compile${sub}` : path[0];
  if (FIELD_KEYS.includes(key)) pushTo(state.notes.fields, key, note);
  else flash(note.msg);
}

function pushTo(map, key, value) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
}

function renderNote(note) {
  const fix = note.fix && note.fix.label ? el("button", {
    type: "button", class: "b-fix", "data-action": "fix", "data-note": note.id, "data-testid": "fix",
  }, note.fix.label) : null;
  return el("div", { class: note.kind, "data-testid": note.kind }, el("span", { text: note.msg }), fix);
}

function renderFieldNotes() {
  for (const slot of document.querySelectorAll(".b-field-problems[data-for]")) {
    const notes = (state.notes.fields.get(slot.dataset.for) || [])
      .filter((n) => !n.onlyFor || n.onlyFor === state.selected);
    // An argument's fix button already sits on its layer; once is enough.
    const plain = slot.dataset.for.startsWith("arg:");
    const plainNote = (n) => el("div", { class: n.kind, text: n.msg });
    slot.replaceChildren(...notes.map(plain ? plainNote : renderNote));
  }
}

function onFixClick(event) {
  const button = event.target.closest("button[data-action='fix']");
  if (button) applyFix(Number(button.dataset.note));
}

function applyFix(noteId) {
  const note = noteRegistry.get(noteId);
  if (!note || !note.fix) return;
  const fix = note.fix;
  // The fix's index is about the stack that was sent; find that layer in today's stack.
  const targetUid = Number.isInteger(fix.index) ? note.uids[fix.index] : note.uid;
  const target = indexOf(targetUid);
  if (fix.action === "insert") {
    addLayer(fix.layer.type, target >= 0 ? target : state.layers.length, fix.layer.args || {});
  } else if (fix.action === "set_args" && target >= 0) {
    const layer = state.layers[target];
    const entry = catalog.types.get(layer.type);
    for (const [name, value] of Object.entries(fix.args)) {
      const arg = entry && entry.args.find((a) => a.name === name);
      if (arg) setArg(layer, arg, value);
      else layer.args[name] = value;
    }
    changed({ form: true });
  } else if (fix.action === "set_compile") {
    Object.assign(state.compile, clone(fix.compile));
    renderCompileForm();
    changed();
  }
}

/* ---------- drafts in localStorage ---------- */

function draftKey(id = state.id) {
  return DRAFT_PREFIX + (id === null ? "new" : id);
}

// Storage can be off (private mode) or full: the page then works without drafts.
function readDraft(key) {
  try { return safeJson(localStorage.getItem(key) || ""); } catch { return null; }
}

function dropDraft(key) {
  try { localStorage.removeItem(key); } catch { /* nothing to drop */ }
}

// Keep what is not saved, so a reload (or a crash) loses nothing; forget it once it is saved.
function persistDraft() {
  const dirty = snapshot() !== state.baseline;
  $("dirty").hidden = !dirty;
  try {
    if (dirty) localStorage.setItem(draftKey(), JSON.stringify({ ...draftOf(), savedAt: Date.now() }));
    else localStorage.removeItem(draftKey());
  } catch { /* see readDraft */ }
}

function restoreDraft() {
  const draft = readDraft(draftKey());
  if (!draft || !Array.isArray(draft.layers)) return;
  const loaded = draftOf();
  adopt(draft);
  if (snapshot() === state.baseline) return;
  state.discard = loaded;
  $("restored-when").textContent = draft.savedAt ? ` from ${new Date(draft.savedAt).toLocaleString()}` : "";
  $("restored").hidden = false;
}

function discardDraft() {
  dropDraft(draftKey());
  if (state.discard) adopt(state.discard);
  state.discard = null;
  $("restored").hidden = true;
  renderAll();
}

/* ---------- saving, opening, duplicating, deleting ---------- */

async function save() {
  $("save").disabled = true;
  try {
    const body = payload();
    const saved = state.id === null
      ? await api.post("/api/architectures", body)
      : await api.put(`/api/architectures/${state.id}`, body);
    dropDraft(draftKey());
    afterSave(saved);
    flash(`Saved “${saved.name}”.`, "ok");
  } catch (error) {
    showSaveError(error, "Not saved");
  } finally {
    $("save").disabled = false;
  }
}

// Take the server's copy as the truth (it names aliases by their canonical type).
function afterSave(saved) {
  const selectedIndex = indexOf(state.selected);
  state.id = saved.id;
  adopt(fromApi(saved));
  state.selected = state.layers[selectedIndex] ? state.layers[selectedIndex].uid : null;
  state.baseline = snapshot();
  state.discard = null;
  $("restored").hidden = true;
  history.replaceState(null, "", `/builder?architecture=${saved.id}`);
  renderAll();
  loadSavedList();
}

function showSaveError(error, what) {
  if ((error.problems || []).length) {
    setNotes(error.problems, [], state.layers.map((l) => l.uid));
    renderStack();
  }
  flash(`${what}: ${error.message}`);
}

async function duplicateArchitecture() {
  try {
    const copy = await api.post("/api/architectures", { ...payload(), name: `${state.name} (copy)` });
    location.href = `/builder?architecture=${copy.id}`;
  } catch (error) {
    showSaveError(error, "Not duplicated");
  }
}

async function deleteArchitecture() {
  if (state.id === null || !confirm(`Delete “${state.name}”? This cannot be undone.`)) return;
  try {
    await api.del(`/api/architectures/${state.id}`);
  } catch (error) {
    flash(`Not deleted: ${error.message}`);
    return;
  }
  dropDraft(draftKey());
  // The stack stays open as a new, unsaved one, so a wrong click costs one more Save.
  state.id = null;
  state.baseline = "";
  history.replaceState(null, "", "/builder");
  renderAll();
  loadSavedList();
  flash(`Deleted “${state.name}”. Its stack is still open here, unsaved: Save to keep it.`, "ok");
}

async function loadSavedList() {
  const select = $("saved-list");
  try {
    const { data } = await api.get("/api/architectures");
    select.replaceChildren(
      el("option", { value: "", text: data.length ? "Choose…" : "Nothing saved yet" }),
      ...data.map((a) => el("option", { value: a.id, text: `${a.name} (#${a.id})` })));
    select.value = state.id === null ? "" : String(state.id);
  } catch (error) {
    select.replaceChildren(el("option", { value: "", text: "Could not load the list" }));
    flash(`Saved architectures could not be listed: ${error.message}`);
  }
}

function renderSaved() {
  const saved = state.id !== null;
  for (const id of ["duplicate-arch", "delete-arch", "train-link"]) $(id).hidden = !saved;
  if (saved) $("train-link").href = `/train?architecture=${state.id}`;
}

function useTemplate(key) {
  if (state.layers.length && !confirm("Replace the current stack with this template?")) return;
  const template = TEMPLATES[key];
  // A saved architecture keeps its name; a new one takes the template's.
  const name = state.id === null || state.name === "Untitled" ? template.name : state.name;
  adopt({ ...template, name });
  renderAll();
}

/* ---------- start ---------- */

async function openArchitecture(id) {
  try {
    const arch = await api.get(`/api/architectures/${id}`);
    state.id = arch.id;
    adopt(fromApi(arch));
  } catch (error) {
    flash(`Architecture ${id} could not be opened: ${error.message} A new one is open instead.`);
    history.replaceState(null, "", "/builder");
    adopt({ name: "Untitled", inputShapeText: STARTER_SHAPE, layers: [] });
  }
}

function wireEvents() {
  $("palette").addEventListener("click", onPaletteActivate);
  $("palette").addEventListener("keydown", onPaletteActivate);
  $("stack").addEventListener("click", onStackClick);
  $("stack").addEventListener("keydown", onStackKey);
  $("builder").addEventListener("click", onFixClick);
  $("arch-name").addEventListener("input", (event) => {
    state.name = event.target.value;
    persistDraft();
  });
  $("input-shape").addEventListener("input", (event) => {
    state.inputShapeText = event.target.value;
    changed();
  });
  $("optimizer").addEventListener("change", () => {
    $("learning-rate").value = ""; // each optimizer has its own default rate
    onOptimizerChange();
  });
  $("learning-rate").addEventListener("input", () => onOptimizerChange(false));
  $("loss").addEventListener("change", onLossChange);
  $("from-logits").addEventListener("change", onLossChange);
  $("save").addEventListener("click", save);
  $("duplicate-arch").addEventListener("click", duplicateArchitecture);
  $("delete-arch").addEventListener("click", deleteArchitecture);
  $("discard-draft").addEventListener("click", discardDraft);
  $("saved-list").addEventListener("change", (event) => {
    if (event.target.value) location.href = `/builder?architecture=${event.target.value}`;
  });
  for (const button of document.querySelectorAll("[data-template]")) {
    button.addEventListener("click", () => useTemplate(button.dataset.template));
  }
}

async function init() {
  wireEvents();
  try {
    await loadCatalog();
  } catch (error) {
    const text = `The layer catalog could not be loaded: ${error.message}`;
    $("palette").replaceChildren(el("p", { class: "problem", text }));
    flash(text);
    return;
  }
  renderPalette();
  setupStackSortable();
  const id = $("builder").dataset.architectureId;
  if (id) await openArchitecture(Number(id));
  else adopt({ name: "Untitled", inputShapeText: STARTER_SHAPE, layers: [] });
  state.baseline = snapshot();
  restoreDraft();
  renderAll();
  loadSavedList();
  document.body.dataset.ready = "true"; // tests wait for this before acting
}

init();
