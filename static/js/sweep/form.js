// The sweep form's grid editor: one text field per setting, holding comma-separated values;
// each field's data-path is the grid path it fills (POST /api/sweeps's grid).

import { el } from "../common.js";

// "0.01, 0.001" -> [0.01, 0.001]; what is not a number is sent as text, for the server to
// refuse with its own words (it names the setting and the value).
export function parseValues(text) {
  return text.split(",").map((v) => v.trim()).filter((v) => v !== "")
    .map((v) => (Number.isFinite(Number(v)) ? Number(v) : v));
}

export function gridFrom(form) {
  const grid = {};
  for (const input of form.querySelectorAll("input[data-path]")) {
    const values = parseValues(input.value);
    if (values.length) grid[input.dataset.path] = values;
  }
  return grid;
}

export function runsIn(grid) {
  const lists = Object.values(grid);
  return lists.length ? lists.reduce((n, values) => n * values.length, 1) : 0;
}

// A field for the units of each Dense layer but the last (whose units are the classes).
export function unitsFields(layers) {
  const last = layers.length - 1;
  return layers.flatMap((layer, i) => {
    if (layer.type !== "Dense" || i === last) return [];
    const id = `grid-units-${i}`;
    const now = layer.args && layer.args.units;
    return [el("div", {},
      el("label", { for: id, text: `Units of layers[${i}] (Dense${now ? `, now ${now}` : ""})` }),
      el("input", { id, "data-path": `layers[${i}].args.units`, placeholder: "32, 64, 128",
        "data-testid": `grid-units-${i}` }))];
  });
}
