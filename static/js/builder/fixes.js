// One-click fixes: a note's button applies the server's suggested change to the stack.

import { $ } from "../common.js";
import { renderCompileForm } from "./compile.js";
import { setArg } from "./args.js";
import { fixesOf, noteById } from "./notes.js";
import { addLayer } from "./stack.js";
import { catalog, changed, clone, indexOf, state } from "./state.js";

// Delegated from the whole builder: fix buttons sit on layers and beside fields.
export function onFixClick(event) {
  const button = event.target.closest("button[data-action='fix']");
  if (button) applyFix(Number(button.dataset.note), Number(button.dataset.fix || 0));
}

function applyFix(noteId, which) {
  const note = noteById(noteId);
  const fix = note && fixesOf(note)[which];
  if (!fix) return;
  // The fix's index is about the stack that was sent; find that layer in today's stack.
  const targetUid = Number.isInteger(fix.index) ? note.uids[fix.index] : note.uid;
  const target = indexOf(targetUid);
  if (fix.action === "insert") {
    addLayer(fix.layer.type, target >= 0 ? target : state.layers.length, fix.layer.args || {});
  } else if (fix.action === "set_args" && target >= 0) {
    const layer = state.layers[target];
    const entry = catalog.types.get(layer.type);
    for (const [name, value] of Object.entries(fix.args)) {
      const arg = entry && entry.args.find((a) => a.name === name);
      if (arg) setArg(layer, arg, value);
      else layer.args[name] = value;
    }
    changed({ form: true });
  } else if (fix.action === "set_input_shape") {
    state.inputShapeText = fix.input_shape.join(",");
    $("input-shape").value = state.inputShapeText;
    changed();
  } else if (fix.action === "set_compile") {
    Object.assign(state.compile, clone(fix.compile));
    renderCompileForm();
    changed();
  }
}
