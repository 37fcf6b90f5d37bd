// Saving, opening, duplicating and deleting architectures through /api/architectures, and the
// list of saved ones to open.

import { $, api, el, flash } from "../common.js";
import { hideConflict, showConflict } from "./conflict.js";
import { draftKey, dropDraft } from "./drafts.js";
import { setNotes } from "./notes.js";
import { adopt, fromApi, savedPayload, snapshot } from "./payload.js";
import { renderStack } from "./stack.js";
import { indexOf, renderAll, starterShape, state } from "./state.js";

// Save names the version this page loaded (If-Match), so a save made elsewhere in between is
// not silently replaced: the server answers 412 and conflict.js asks what to do.
export const save = () => saveStack({ overwrite: false });
export const overwriteWithMine = () => saveStack({ overwrite: true });

async function saveStack({ overwrite }) {
  $("save").disabled = true;
  try {
    const body = savedPayload();
    const ifMatch = overwrite || state.version === null ? {} : { "If-Match": `"${state.version}"` };
    const saved = state.id === null
      ? await api.post("/api/architectures", body)
      : await api.put(`/api/architectures/${state.id}`, body, ifMatch);
    dropDraft(draftKey());
    afterSave(saved);
    flash(`Saved “${saved.name}”.`, "ok");
  } catch (error) {
    if (error.status === 412) await showConflict(error);
    else showSaveError(error, "Not saved");
  } finally {
    $("save").disabled = false;
  }
}

// Take the server's copy as the truth (it names aliases by their canonical type).
function afterSave(saved) {
  const selectedIndex = indexOf(state.selected);
  state.id = saved.id;
  state.version = saved.version;
  adopt(fromApi(saved));
  state.selected = state.layers[selectedIndex] ? state.layers[selectedIndex].uid : null;
  state.baseline = snapshot();
  state.discard = null;
  $("restored").hidden = true;
  hideConflict();
  history.replaceState(null, "", `/builder?architecture=${saved.id}`);
  renderAll();
  loadSavedList();
}

function showSaveError(error, what) {
  if ((error.problems || []).length) {
    setNotes(error.problems, [], state.layers.map((l) => l.uid));
    renderStack();
  }
  flash(`${what}: ${error.message}`);
}

export async function duplicateArchitecture() {
  try {
    const copy = await api.post("/api/architectures", { ...savedPayload(), name: `${state.name} (copy)` });
    location.href = `/builder?architecture=${copy.id}`;
  } catch (error) {
    showSaveError(error, "Not duplicated");
  }
}

export async function deleteArchitecture() {
  if (state.id === null || !confirm(`Delete “${state.name}”? This cannot be undone.`)) return;
  try {
    await api.del(`/api/architectures/${state.id}`);
  } catch (error) {
    flash(`Not deleted: ${error.message}`);
    return;
  }
  dropDraft(draftKey());
  // The stack stays open as a new, unsaved one, so a wrong click costs one more Save.
  state.id = null;
  state.version = null;
  state.baseline = "";
  history.replaceState(null, "", "/builder");
  renderAll();
  loadSavedList();
  flash(`Deleted “${state.name}”. Its stack is still open here, unsaved: Save to keep it.`, "ok");
}

export async function loadSavedList() {
  const select = $("saved-list");
  try {
    const { data } = await api.get("/api/architectures");
    select.replaceChildren(
      el("option", { value: "", text: data.length ? "Choose…" : "Nothing saved yet" }),
      ...data.map((a) => el("option", { value: a.id, text: `${a.name} (#${a.id})` })));
    select.value = state.id === null ? "" : String(state.id);
  } catch (error) {
    select.replaceChildren(el("option", { value: "", text: "Could not load the list" }));
    flash(`Saved architectures could not be listed: ${error.message}`);
  }
}

// Duplicate, Delete and "Train this" are about a saved architecture.
export function renderSaved() {
  const saved = state.id !== null;
  for (const id of ["duplicate-arch", "delete-arch", "train-link"]) $(id).hidden = !saved;
  if (!saved) return;
  // The fit settings of pasted code, and the dataset checked against, go along.
  const query = new URLSearchParams({ architecture: state.id });
  for (const [key, value] of Object.entries(state.fit)) query.set(key, value);
  if (state.dataset) query.set("dataset", state.dataset.id);
  $("train-link").href = `/train?${query}`;
}

export async function openArchitecture(id) {
  try {
    const arch = await api.get(`/api/architectures/${id}`);
    state.id = arch.id;
    state.version = arch.version;
    adopt(fromApi(arch));
  } catch (error) {
    flash(`Architecture ${id} could not be opened: ${error.message} A new one is open instead.`);
    history.replaceState(null, "", "/builder");
    adopt({ name: "Untitled", inputShapeText: starterShape(), layers: [] });
  }
}
