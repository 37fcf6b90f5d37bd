// The stack as the API sees it (what Save and the summary send), as a draft stores it, and
// the way back: adopting a saved, drafted or template stack as the page's state.

import { DEFAULT_COMPILE, clone, makeLayer, state } from "./state.js";
import { parseInputShape } from "./values.js";

function apiLayers() {
  return state.layers.map((l) => ({ type: l.type, args: l.args, ...(l.name ? { name: l.name } : {}) }));
}

export function payload() {
  const { name, inputShapeText, compile } = state;
  return { name, input_shape: parseInputShape(inputShapeText), layers: apiLayers(), compile };
}

// What a draft stores and what "unsaved" compares: the form as typed, not yet judged.
export function draftOf() {
  const { name, inputShapeText, compile } = state;
  return clone({ name, inputShapeText, layers: apiLayers(), compile });
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
}

export function fromApi(arch) {
  const dims = arch.input_shape || [];
  return { ...arch, inputShapeText: dims.map((d) => (d === null ? "None" : d)).join(",") };
}
