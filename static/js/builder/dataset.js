// The dataset the builder checks against (GET /api/datasets): saved with the architecture
// (its dataset_id), and remembered in this browser for new stacks. The live summary asks
// POST /api/summary?dataset_id= (input shape, units against classes, as warnings with
// fixes), and the templates and a new stack take its shape and classes.

import { $, api, fillSelect, flash } from "../common.js";
import { state } from "./state.js";

const KEY = "layerstack.builder.dataset";

const dims = (shape) => shape.join("x");
export const describeDataset = (d) => `${d.name} (${dims(d.input_shape)}, ${d.class_names.length} classes)`;

export async function loadDatasets() {
  let list = [];
  try {
    ({ data: list } = await api.get("/api/datasets?limit=500"));
  } catch (error) {
    flash(`Datasets could not be listed: ${error.message}`);
  }
  let remembered = null;
  try { remembered = localStorage.getItem(KEY); } catch { /* storage off: nothing remembered */ }
  state.datasets = list;
  fillSelect($("dataset"), list, { text: describeDataset, blank: "— none —", chosen: remembered });
  pick($("dataset").value);
}

function pick(value) {
  state.dataset = state.datasets.find((d) => String(d.id) === value) || null;
  const d = state.dataset;
  $("dataset-about").textContent = d
    ? `Samples of shape [${d.input_shape.join(", ")}], ${d.class_names.length} classes: shapes and ` +
      "output units are checked against them as you build; templates take this shape."
    : "Pick one to check shapes and output units against it as you build.";
  templateLabels();
}

// An opened, restored or undone stack brings its own dataset (null: none); one that is gone
// since (or not listed) leaves none chosen.
export function chooseDataset(id) {
  const select = $("dataset");
  const value = id === null || id === undefined ? "" : String(id);
  select.value = [...select.options].some((o) => o.value === value) ? value : "";
  pick(select.value);
}

export function onDatasetChange(event) {
  pick(event.target.value);
  try { localStorage.setItem(KEY, event.target.value); } catch { /* see loadDatasets */ }
}

// A CNN's first layer, Conv2D, takes (height, width, channels): (28, 28) images get a channel.
export function cnnShape(shape) {
  return shape.length === 2 ? [...shape, 1] : shape;
}

function templateLabels() {
  const d = state.dataset;
  const button = (key) => document.querySelector(`[data-template="${key}"]`);
  button("mlp").textContent = d ? `MLP for ${d.name} (${dims(d.input_shape)})` : "MLP for 8x8 digits";
  button("cnn").textContent = d
    ? `Tutorial CNN for ${d.name} (${dims(cnnShape(d.input_shape))})` : "Tutorial CNN (32x32x3)";
}
