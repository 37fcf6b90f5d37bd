// The tutorial's models, one click away for a first-time visitor.

import { adopt } from "./payload.js";
import { DEFAULT_COMPILE, renderAll, state } from "./state.js";

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

export function useTemplate(key) {
  if (state.layers.length && !confirm("Replace the current stack with this template?")) return;
  const template = TEMPLATES[key];
  // A saved architecture keeps its name; a new one takes the template's.
  const name = state.id === null || state.name === "Untitled" ? template.name : state.name;
  adopt({ ...template, name });
  renderAll();
}
