// A save refused with 412: the architecture was saved elsewhere (another tab, a script) since
// this page loaded it. The page says so and offers both ways out: "Reload theirs" (this page's
// changes stay as a draft in this browser) or "Overwrite with mine" (saving.js).

import { $, api, flash } from "../common.js";
import { currentDraft, keepDraft } from "./drafts.js";
import { adopt, fromApi, snapshot } from "./payload.js";
import { renderAll, state } from "./state.js";

export async function showConflict(error) {
  let theirs = null;
  try {
    theirs = await api.get(`/api/architectures/${state.id}`);
  } catch { /* the server's own words (error.message) still name the version */ }
  const text = theirs
    ? `This architecture was changed elsewhere (version ${theirs.version}) since you opened it `
      + `(version ${state.version}). Reload theirs to see their changes (yours stay as a draft `
      + "in this browser), or overwrite their version with yours."
    : error.message;
  $("conflict-text").textContent = text;
  $("conflict").hidden = false;
  flash("");
}

export function hideConflict() {
  $("conflict").hidden = true;
}

export async function reloadTheirs() {
  let theirs;
  try {
    theirs = await api.get(`/api/architectures/${state.id}`);
  } catch (error) {
    flash(`Their version could not be loaded: ${error.message}`);
    return;
  }
  const mine = currentDraft();
  adopt(fromApi(theirs));
  state.version = theirs.version;
  state.baseline = snapshot();
  state.discard = null;
  $("restored").hidden = true;
  hideConflict();
  renderAll(); // the page is now clean, which forgets the draft: keep it again
  keepDraft(mine);
  flash(`Loaded version ${theirs.version}. Your changes are kept as a draft in this browser: `
    + "reload the page to bring them back.", "ok");
}
