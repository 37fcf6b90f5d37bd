// The tutorial's models, one click away for a first-time visitor, shaped for the dataset the
// builder checks against (its sample shape, one output unit per class) when one is chosen.

import { cnnShape } from "./dataset.js";
import { adopt } from "./payload.js";
import { DEFAULT_COMPILE, renderAll, state } from "./state.js";

const TEMPLATES = {
  mlp: {
    name: "MLP for 8x8 digits",
    inputShapeText: "8,8",
    shape: (dataShape) => dataShape,
    layers: [
      { type: "Flatten", args: {} },
      { type: "Dense", args: { units: 64, activation: "relu" } },
      { type: "Dense", args: { units: 10, activation: "softmax" } },
    ],
  },
  cnn: {
    name: "Tutorial CNN (32x32x3)",
    inputShapeText: "32,32,3",
    shape: cnnShape,
    layers: [
      { type: "Conv2D", args: { filters: 16, kernel_size: 3, activation: "relu" } },
      { type: "MaxPooling2D", args: { pool_size: 3 } },
      { type: "Flatten", args: {} },
      { type: "Dense", args: { units: 64, activation: "relu" } },
      { type: "Dense", args: { units: 10, activation: "softmax" } },
    ],
  },
};

function forDataset(template, dataset) {
  const base = { ...template, compile: DEFAULT_COMPILE };
  if (!dataset) return base;
  const layers = structuredClone(template.layers);
  layers[layers.length - 1].args.units = dataset.class_names.length;
  return {
    ...base,
    name: `${template.name.split(" (")[0].replace(" for 8x8 digits", "")} for ${dataset.name}`,
    inputShapeText: template.shape(dataset.input_shape).join(","),
    layers,
  };
}

export function useTemplate(key) {
  if (state.layers.length && !confirm("Replace the current stack with this template?")) return;
  const template = forDataset(TEMPLATES[key], state.dataset);
  // A saved architecture keeps its name; a new one takes the template's.
  const name = state.id === null || state.name === "Untitled" ? template.name : state.name;
  adopt({ ...template, name });
  renderAll();
}
