// Problems (a 422's detail) and warnings (from the summary), shown on the layer they name or
// beside the field they are about, each with its one-click fix when the server offers one.

import { el, flash } from "../common.js";
import { state } from "./state.js";

const FIELD_KEYS = ["name", "input_shape", "layers", "compile", "compile.optimizer", "compile.loss",
  "compile.metrics"];
const noteRegistry = new Map(); // note id -> note, so a fix button can find its note
let nextNote = 1;

export function noteById(id) {
  return noteRegistry.get(id);
}

// Each note remembers the uids of the stack it was about, since fixes count by index.
export function setNotes(problems, warnings, uids) {
  noteRegistry.clear();
  state.notes = { layers: new Map(), fields: new Map() };
  for (const p of problems) {
    placeNote(p.loc || [], null, { kind: "problem", msg: p.msg, fix: p.fix }, uids);
  }
  for (const w of warnings) {
    placeNote(w.loc || [], w.index ?? null, { kind: "warning", msg: w.msg, fix: w.fix, fixes: w.fixes }, uids);
  }
}

function placeNote(loc, index, note, uids) {
  Object.assign(note, { id: nextNote++, uids });
  noteRegistry.set(note.id, note);
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  if (index === null && path[0] === "layers" && Number.isInteger(path[1])) index = path[1];
  if (index !== null && uids[index] !== undefined) {
    note.uid = uids[index];
    pushTo(state.notes.layers, note.uid, note);
    // Also under the argument's own input, while that layer's form is open.
    const field = path[2] === "args" ? path[3] : path[2] === "name" ? "__name" : null;
    if (field) pushTo(state.notes.fields, `arg:${field}`, { ...note, onlyFor: note.uid });
    return;
  }
  const sub = ["optimizer", "loss", "metrics"].includes(path[1]) ? `.${path[1]}` : "";
  const key = path[0] === "compile" ? `compile${sub}` : path[0];
  if (FIELD_KEYS.includes(key)) pushTo(state.notes.fields, key, note);
  else flash(note.msg);
}

function pushTo(map, key, value) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
}

// A note's fixes: `fixes` when the server offers a choice (e.g. from_logits or softmax), else `fix`.
export function fixesOf(note) {
  return note.fixes || (note.fix ? [note.fix] : []);
}

export function renderNote(note) {
  const buttons = fixesOf(note).map((fix, i) => (fix.label ? el("button", {
    type: "button", class: "b-fix", "data-action": "fix", "data-note": note.id, "data-fix": i,
    "data-testid": "fix",
  }, fix.label) : null));
  return el("div", { class: note.kind, "data-testid": note.kind }, el("span", { text: note.msg }), ...buttons);
}

export function renderFieldNotes() {
  for (const slot of document.querySelectorAll(".b-field-problems[data-for]")) {
    const notes = (state.notes.fields.get(slot.dataset.for) || [])
      .filter((n) => !n.onlyFor || n.onlyFor === state.selected);
    // An argument's fix button already sits on its layer; once is enough.
    const plain = slot.dataset.for.startsWith("arg:");
    const plainNote = (n) => el("div", { class: n.kind, text: n.msg });
    slot.replaceChildren(...notes.map(plain ? plainNote : renderNote));
  }
}
