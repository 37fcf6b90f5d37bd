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
    box.append(el("div", { class: "b-group-box", "data-group": group },
      el("h3", { class: "b-group", text: group }), list));
    // pull: "clone" leaves the item in the palette; put: false keeps the palette unchanged.
    window.Sortable.create(list, { group: { name: "layers", pull: "clone", put: false }, sort: false });
  }
  box.append(el("p", { class: "muted small", id: "palette-empty", "data-testid": "palette-empty", hidden: true }));
  filterPalette();
}

function paletteItem(entry) {
  const aliases = entry.aliases.length ? ` (also called ${entry.aliases.join(", ")})` : "";
  return el("li", {
    class: "b-palette-item", tabindex: "-1", role: "button",
    "data-type": entry.type, "data-testid": `palette-${entry.type}`,
    "data-search": [entry.type, ...entry.aliases, entry.help, entry.group].join(" ").toLowerCase(),
    title: entry.help + aliases,
  }, breakable(entry.type));
}

// "GlobalAveragePooling2D" may wrap between its words, so two columns fit the palette.
function breakable(name) {
  return name.split(/(?<=[a-z])(?=[A-Z])/).flatMap((part, i) => (i ? [el("wbr"), part] : [part]));
}

const visibleItems = () => [...$("palette").querySelectorAll(".b-palette-item:not([hidden])")];

// The search box keeps the layer types whose name, aliases, description or group hold every
// word typed; groups left empty disappear.
export function filterPalette() {
  const words = $("palette-search").value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const item of $("palette").querySelectorAll(".b-palette-item")) {
    item.hidden = !words.every((word) => item.dataset.search.includes(word));
  }
  for (const group of $("palette").querySelectorAll(".b-group-box")) {
    group.hidden = !group.querySelector(".b-palette-item:not([hidden])");
  }
  const shown = visibleItems();
  const empty = $("palette-empty");
  empty.hidden = shown.length > 0;
  empty.textContent = shown.length ? "" : `No layer type matches “${words.join(" ")}”.`;
  rove(shown[0]);
}

// The palette is one Tab stop: the arrows move inside it (a roving tabindex), so the keyboard
// reaches the stack in a few presses instead of one per layer type.
function rove(item) {
  for (const other of $("palette").querySelectorAll(".b-palette-item[tabindex='0']")) {
    other.tabIndex = -1;
  }
  if (item) item.tabIndex = 0;
}

export function onPaletteSearchKey(event) {
  if (event.key === "Enter") {
    event.preventDefault();
    const first = visibleItems()[0];
    if (first) addAfterSelected(first.dataset.type);
  } else if (event.key === "Escape" && event.target.value) {
    event.preventDefault();
    event.target.value = "";
    filterPalette();
  } else if (event.key === "ArrowDown") {
    event.preventDefault();
    const first = visibleItems()[0];
    if (first) first.focus();
  }
}

const STEPS = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };

function onPaletteArrow(event, item) {
  const items = visibleItems();
  const at = items.indexOf(item);
  let next = null;
  if (event.key in STEPS) next = items[at + STEPS[event.key]];
  else if (event.key === "Home") next = items[0];
  else if (event.key === "End") next = items[items.length - 1];
  else return false;
  event.preventDefault();
  if (next) {
    rove(next);
    next.focus();
  } else if (at === 0 && STEPS[event.key] === -1) {
    $("palette-search").focus();
  }
  return true;
}

function addAfterSelected(type) {
  const at = state.selected ? indexOf(state.selected) + 1 : state.layers.length;
  addLayer(type, at);
}

// Delegated, because SortableJS moves the dragged node out and leaves a copy without listeners.
export function onPaletteActivate(event) {
  const item = event.target.closest(".b-palette-item");
  if (!item) return;
  if (event.type === "focusin") {
    rove(item);
    return;
  }
  if (event.type === "keydown" && onPaletteArrow(event, item)) return;
  if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
  event.preventDefault();
  addAfterSelected(item.dataset.type);
}
