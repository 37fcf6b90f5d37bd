// The stack as the API sees it (what Save and the summary send), as a draft stores it, and
// the way back: adopting a saved, drafted or template stack as the page's state. The dataset
// it is built against goes with it (Save sends dataset_id; a draft and undo keep datasetId).

import { chooseDataset } from "./dataset.js";
import { DEFAULT_COMPILE, clone, makeLayer, state } from "./state.js";
import { parseInputShape } from "./values.js";

function apiLayers() {
  return state.layers.map((l) => ({ type: l.type, args: l.args, ...(l.name ? { name: l.name } : {}) }));
}

export function payload() {
  const { name, inputShapeText, compile } = state;
  return { name, input_shape: parseInputShape(inputShapeText), layers: apiLayers(), compile };
}

// What Save sends: the stack and the dataset it is built against.
export function savedPayload() {
  return { ...payload(), dataset_id: datasetId() };
}

const datasetId = () => (state.dataset ? state.dataset.id : null);

// What a draft stores and what "unsaved" compares: the form as typed, not yet judged.
export function draftOf() {
  const { name, inputShapeText, compile } = state;
  return clone({ name, inputShapeText, layers: apiLayers(), compile, datasetId: datasetId() });
}

export function snapshot() {
  return JSON.stringify(draftOf());
}

export function adopt(stack) {
  state.name = stack.name || "Untitled";
  state.inputShapeText = stack.inputShapeText ?? "";
  state.layers = (stack.layers || []).map((l) => makeLayer(l.type, l.args || {}, l.name));
  state.compile = clone(stack.compile || DEFAULT_COMPILE);
  state.compile.metrics = state.compile.metrics || [];
  state.selected = null;
  state.rows = new Map();
  state.notes = { layers: new Map(), fields: new Map() };
  // A template or a new stack names none: the dataset chosen stays.
  if ("datasetId" in stack) chooseDataset(stack.datasetId);
}

export function fromApi(arch) {
  const dims = arch.input_shape || [];
  const stack = { ...arch, inputShapeText: dims.map((d) => (d === null ? "None" : d)).join(",") };
  // A saved architecture names its dataset (null: none); pasted code names none, and the
  // dataset chosen stays.
  if ("dataset_id" in arch) stack.datasetId = arch.dataset_id;
  return stack;
}
