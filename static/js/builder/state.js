// The builder's shared state: what the server said about layer types (`catalog`), the stack
// being edited (`state`), and the hooks through which a section says "something changed"
// without importing every other section.

export const STARTER_SHAPE = "8,8"; // the built-in digits dataset
export const DEFAULT_COMPILE = {
  optimizer: "adam",
  loss: "sparse_categorical_crossentropy",
  metrics: ["accuracy"],
};

export const clone = (value) => JSON.parse(JSON.stringify(value));
export const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
export const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
// Compile settings and objects are a string id ("adam") or an object with a name.
export const nameOf = (value) => (isObject(value) ? value.name : value);

// What the server told us about layer types and compile choices.
export const catalog = {
  types: new Map(), // type and alias -> catalog entry
  groups: [],
  registries: {}, // "initializer" / "regularizer" -> options
  optimizers: [],
  losses: [],
  metrics: [],
};

// The page's one source of truth. Layers carry a `uid` so that answers about an older stack
// (problems, summary rows, fixes) still land on the right layer after it moved.
export const state = {
  id: null,
  version: null, // the saved version this stack started from: Save sends it as If-Match
  name: "Untitled",
  inputShapeText: STARTER_SHAPE,
  layers: [], // {uid, type, args, name?}
  compile: clone(DEFAULT_COMPILE),
  selected: null, // uid of the layer whose arguments are open
  baseline: "", // snapshot() of what is saved (or of the starter), to tell unsaved changes
  discard: null, // what "discard" goes back to after a draft was restored
  rows: new Map(), // uid -> summary row
  notes: { layers: new Map(), fields: new Map() }, // problems and warnings, where they belong
  datasets: [], // GET /api/datasets
  dataset: null, // the one the stack is checked against (dataset.js), or null
  fit: {}, // model.fit's settings found in pasted code, for the train page
};

// A new stack's input shape: the chosen dataset's, else the built-in digits'.
export const starterShape = () => (state.dataset ? state.dataset.input_shape.join(",") : STARTER_SHAPE);
let nextUid = 1;

// Optimizers, losses, metrics, initializers may be named by id ("adam") or class ("Adam").
export function findOption(list, nameOrId) {
  if (typeof nameOrId !== "string") return null;
  const key = nameOrId.toLowerCase();
  return list.find((o) => o.name.toLowerCase() === key || o.ids.includes(key)) || null;
}

export function indexOf(uid) {
  return state.layers.findIndex((layer) => layer.uid === uid);
}

export function makeLayer(type, args = null, name = undefined) {
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

// The entry module (builder.js) says what a change redraws; sections only announce it.
const hooks = { changed: () => {}, renderAll: () => {} };

export function setHooks({ changed, renderAll }) {
  Object.assign(hooks, { changed, renderAll });
}

// The stack or a setting changed: redraw the stack (and the open form, with `form`), keep the
// draft, ask for a new summary.
export const changed = (options = {}) => hooks.changed(options);
// The whole stack was replaced (opened, saved, a template, a draft discarded): redraw it all.
export const renderAll = () => hooks.renderAll();
