// The builder page: a palette of layer types, the stack (SortableJS), each layer's arguments,
// compile settings, and the live summary from POST /api/summary. Everything it does goes
// through the same JSON API a script would use; the page keeps no rules of its own, so the
// catalog (GET /api/layers) drives the palette and the forms, and the server judges the stack.
// This entry wires the sections under builder/ to the page and says what a change redraws.

import { $, el, flash } from "./common.js";
import { renderArgsForm } from "./builder/args.js";
import { renderCompileForm, wireCompileForm } from "./builder/compile.js";
import { reloadTheirs } from "./builder/conflict.js";
import { loadDatasets, onDatasetChange } from "./builder/dataset.js";
import { discardDraft, persistDraft, restoreDraft } from "./builder/drafts.js";
import { onFixClick } from "./builder/fixes.js";
import {
  onHistoryKey, onTyping, recordHistory, redo, resetHistory, undo,
} from "./builder/history.js";
import { exportPython, openImport, runImport } from "./builder/interop.js";
import {
  filterPalette, loadCatalog, onPaletteActivate, onPaletteSearchKey, renderPalette,
} from "./builder/palette.js";
import { adopt, snapshot } from "./builder/payload.js";
import {
  deleteArchitecture, duplicateArchitecture, loadSavedList, openArchitecture, overwriteWithMine,
  renderSaved, save,
} from "./builder/saving.js";
import { onStackClick, onStackKey, renderStack, setupStackSortable } from "./builder/stack.js";
import { changed, renderAll, setHooks, starterShape, state } from "./builder/state.js";
import { scheduleSummary } from "./builder/summary.js";
import { useTemplate } from "./builder/templates.js";

setHooks({
  changed({ form = false } = {}) {
    renderStack();
    if (form) renderArgsForm();
    persistDraft();
    recordHistory();
    scheduleSummary();
  },
  renderAll() {
    $("arch-name").value = state.name;
    $("input-shape").value = state.inputShapeText;
    renderCompileForm();
    renderStack();
    renderArgsForm();
    renderSaved();
    persistDraft();
    recordHistory();
    scheduleSummary();
  },
});

function wireEvents() {
  $("palette").addEventListener("click", onPaletteActivate);
  $("palette").addEventListener("keydown", onPaletteActivate);
  $("palette").addEventListener("focusin", onPaletteActivate);
  $("palette-search").addEventListener("input", filterPalette);
  $("palette-search").addEventListener("keydown", onPaletteSearchKey);
  $("skip-to-stack").addEventListener("click", skipToStack);
  $("undo").addEventListener("click", undo);
  $("redo").addEventListener("click", redo);
  document.addEventListener("keydown", onHistoryKey);
  document.addEventListener("input", onTyping, true); // capture: before the field's handler
  $("stack").addEventListener("click", onStackClick);
  $("stack").addEventListener("keydown", onStackKey);
  $("builder").addEventListener("click", onFixClick);
  $("arch-name").addEventListener("input", (event) => {
    state.name = event.target.value;
    persistDraft();
    recordHistory();
  });
  $("input-shape").addEventListener("input", (event) => {
    state.inputShapeText = event.target.value;
    changed();
  });
  wireCompileForm();
  $("dataset").addEventListener("change", (event) => {
    const untouched = !state.layers.length && state.inputShapeText === starterShape();
    onDatasetChange(event);
    if (untouched) {
      // A stack not begun yet takes the new dataset's shape, as a new one would.
      state.inputShapeText = starterShape();
      $("input-shape").value = state.inputShapeText;
    }
    renderSaved(); // "Train this" takes the dataset along
    changed(); // saved with the stack: unsaved until Save, and a step to undo
  });
  $("paste-code").addEventListener("click", openImport);
  $("import-run").addEventListener("click", runImport);
  $("export-python").addEventListener("click", exportPython);
  $("save").addEventListener("click", save);
  $("duplicate-arch").addEventListener("click", duplicateArchitecture);
  $("delete-arch").addEventListener("click", deleteArchitecture);
  $("discard-draft").addEventListener("click", discardDraft);
  $("reload-theirs").addEventListener("click", reloadTheirs);
  $("overwrite-mine").addEventListener("click", overwriteWithMine);
  $("saved-list").addEventListener("change", (event) => {
    if (event.target.value) location.href = `/builder?architecture=${event.target.value}`;
  });
  for (const button of document.querySelectorAll("[data-template]")) {
    button.addEventListener("click", () => useTemplate(button.dataset.template));
  }
}

// The skip-link lands on the first layer (or the empty stack), so the next Tab is inside it.
function skipToStack(event) {
  event.preventDefault();
  const target = $("stack").querySelector("li.layer") || $("stack");
  target.focus();
  $("stack-title").scrollIntoView({ block: "start" });
}

async function init() {
  wireEvents();
  try {
    await loadCatalog();
  } catch (error) {
    const text = `The layer catalog could not be loaded: ${error.message}`;
    $("palette").replaceChildren(el("p", { class: "problem", text }));
    flash(text);
    return;
  }
  renderPalette();
  setupStackSortable();
  await loadDatasets();
  const id = $("builder").dataset.architectureId;
  if (id) await openArchitecture(Number(id));
  else adopt({ name: "Untitled", inputShapeText: starterShape(), layers: [] });
  state.baseline = snapshot();
  restoreDraft();
  renderAll();
  resetHistory(); // undo goes back as far as what was opened, not to an empty page
  loadSavedList();
  document.body.dataset.ready = "true"; // tests wait for this before acting
}

init();
