// The layer catalog (GET /api/layers, GET /api/compile-options) and the palette it drives:
// one draggable, clickable item per layer type, grouped as the catalog groups them.

import { $, api, el } from "../common.js";
import { addLayer } from "./stack.js";
import { catalog, indexOf, state } from "./state.js";

export async function loadCatalog() {
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

export function renderPalette() {
  const box = $("palette");
  box.replaceChildren();
  const entries = [...new Set(catalog.types.values())];
  for (const group of catalog.groups) {
    const items = entries.filter((e) => e.group === group).map(paletteItem);
    const list = el("ul", { class: "b-palette-list", "data-group": group }, items);
    box.append(el("h3", { class: "b-group", text: group }), list);
    // pull: "clone" leaves the item in the palette; put: false keeps the palette unchanged.
    window.Sortable.create(list, { group: { name: "layers", pull: "clone", put: false }, sort: false });
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
export function onPaletteActivate(event) {
  const item = event.target.closest(".b-palette-item");
  if (!item) return;
  if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
  event.preventDefault();
  const at = state.selected ? indexOf(state.selected) + 1 : state.layers.length;
  addLayer(item.dataset.type, at);
}
