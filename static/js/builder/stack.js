// The stack: its layers as a sortable list with move, duplicate and remove buttons, each
// showing its output shape, parameters, arguments and notes.

import { $, el, fmtInt, fmtShape } from "../common.js";
import { renderArgsForm } from "./args.js";
import { renderFieldNotes, renderNote } from "./notes.js";
import { changed, indexOf, isObject, makeLayer, state } from "./state.js";

export function addLayer(type, at, args = null) {
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

export function setupStackSortable() {
  window.Sortable.create($("stack"), {
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

export function onStackClick(event) {
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

export function onStackKey(event) {
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

export function renderStack() {
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
