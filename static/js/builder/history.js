// Undo and redo: one history of the whole stack (layers, their arguments, the input shape,
// the compile settings, the name), bounded. Every change already ends in changed() or
// renderAll(), so the history records what the state became there instead of each edit
// saying how to undo itself. Typing into one field is one step, not one per keystroke, and
// Ctrl+Z inside a text field stays the field's own undo. Each step is described in words
// when it is made (describe.js), and undo and redo say it in a polite live region, so a
// screen reader hears "Undone: removed Dense (layer 3)".

import { $ } from "../common.js";
import { describeStep } from "./describe.js";
import { adopt, draftOf } from "./payload.js";
import { renderAll, state } from "./state.js";

const LIMIT = 100;
const TYPING_MS = 1000; // keystrokes in one field this close together are one step

const past = [];
const future = [];
let current = null; // {stack, selected, label}: what the page shows now, and how it got there
let typing = { field: null, at: 0 };
let typedInto = null; // the text field whose input event is being handled, if any

const selectedIndex = () => state.layers.findIndex((layer) => layer.uid === state.selected);

function entry() {
  return { stack: JSON.stringify(draftOf()), selected: selectedIndex(), label: null };
}

// Forget everything: a stack was opened (or the page loaded) and this is where it starts.
export function resetHistory() {
  past.length = 0;
  future.length = 0;
  current = entry();
  typing = { field: null, at: 0 };
  $("history-status").textContent = "";
  renderHistoryButtons();
}

// Called after every change: a new step, unless nothing changed or the user is still typing
// in the field that made the last step.
export function recordHistory() {
  if (current === null) return;
  const next = entry();
  if (next.stack === current.stack) {
    current.selected = next.selected;
    return;
  }
  const field = typedInto; // typing, not Enter in the palette search adding a layer
  const now = Date.now();
  const sameTyping = field && typing.field === field && now - typing.at < TYPING_MS && past.length;
  typing = { field, at: now };
  if (!sameTyping) {
    past.push(current);
    if (past.length > LIMIT) past.shift();
  }
  next.label = describeStep(past[past.length - 1].stack, next.stack);
  future.length = 0;
  current = next;
  renderHistoryButtons();
}

export function undo() {
  if (past.length) announce(`Undone: ${current.label}`);
  move(past, future);
}

export function redo() {
  if (future.length) announce(`Redone: ${future[future.length - 1].label}`);
  move(future, past);
}

// A screen reader says it once the page is quiet (role=status, aria-live=polite). Emptied
// first, so that undoing two steps that read the same is heard twice.
function announce(text) {
  const region = $("history-status");
  region.textContent = "";
  requestAnimationFrame(() => { region.textContent = text; });
}

function move(from, to) {
  if (!from.length) return;
  to.push(current);
  current = from.pop();
  typing = { field: null, at: 0 };
  adopt(JSON.parse(current.stack));
  const layer = state.layers[current.selected];
  state.selected = layer ? layer.uid : null;
  renderAll(); // records nothing: the state is `current` again
  renderHistoryButtons();
}

function renderHistoryButtons() {
  $("undo").disabled = !past.length;
  $("redo").disabled = !future.length;
}

// Captured before the field's own handler runs, forgotten once the event is over.
export function onTyping(event) {
  typedInto = textField(event.target);
  setTimeout(() => { typedInto = null; });
}

// A field whose own Ctrl+Z undoes typing: text-like inputs and textareas.
function textField(node) {
  if (!node) return null;
  if (node.tagName === "TEXTAREA") return node;
  const textual = ["text", "search", "number", "url", "email", "tel", "password"];
  return node.tagName === "INPUT" && textual.includes(node.type) ? node : null;
}

// Ctrl+Z (Cmd+Z) undoes, Ctrl+Shift+Z and Ctrl+Y redo, anywhere on the page but in a text
// field (its own undo) or the paste dialog.
export function onHistoryKey(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
  const key = event.key.toLowerCase();
  if (key !== "z" && key !== "y") return;
  const target = event.target;
  if (textField(target) || target.isContentEditable || target.closest("dialog")) return;
  event.preventDefault();
  if (key === "y" || event.shiftKey) redo();
  else undo();
}
