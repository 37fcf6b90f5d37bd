// Drafts in localStorage: what is not saved survives a reload (or a crash) and is forgotten
// once it is saved. Storage can be off (private mode) or full: the page then works without.

import { $, safeJson } from "../common.js";
import { adopt, draftOf, snapshot } from "./payload.js";
import { renderAll, state } from "./state.js";

const DRAFT_PREFIX = "layerstack.builder.draft.";

export function draftKey(id = state.id) {
  return DRAFT_PREFIX + (id === null ? "new" : id);
}

function readDraft(key) {
  try { return safeJson(localStorage.getItem(key) || ""); } catch { return null; }
}

export function dropDraft(key) {
  try { localStorage.removeItem(key); } catch { /* nothing to drop */ }
}

// A draft remembers the version it started from, so saving it later cannot silently replace
// what was saved elsewhere in between (the save then answers 412 and the page asks).
export function currentDraft() {
  return { ...draftOf(), version: state.version, savedAt: Date.now() };
}

export function keepDraft(draft) {
  try { localStorage.setItem(draftKey(), JSON.stringify(draft)); } catch { /* see readDraft */ }
}

export function persistDraft() {
  const dirty = snapshot() !== state.baseline;
  $("dirty").hidden = !dirty;
  if (dirty) keepDraft(currentDraft());
  else dropDraft(draftKey());
}

export function restoreDraft() {
  const draft = readDraft(draftKey());
  if (!draft || !Array.isArray(draft.layers)) return;
  const loaded = { ...draftOf(), version: state.version };
  adopt(draft);
  if (snapshot() === state.baseline) return;
  if (Number.isInteger(draft.version)) state.version = draft.version;
  state.discard = loaded;
  $("restored-when").textContent = draft.savedAt ? ` from ${new Date(draft.savedAt).toLocaleString()}` : "";
  $("restored").hidden = false;
}

export function discardDraft() {
  dropDraft(draftKey());
  if (state.discard) {
    adopt(state.discard);
    state.version = state.discard.version;
  }
  state.discard = null;
  $("restored").hidden = true;
  renderAll();
}
