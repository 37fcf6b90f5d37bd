// One-click fixes on the train page. The stack here is a saved architecture, so a fix (from a
// warning of its summary, or from the server's 422 once the dataset is known, e.g. "Set units
// to 10") is applied to it and saved (If-Match: the version read, so no edit made elsewhere is
// overwritten); the page then checks again.

import { api, el } from "../common.js";

// The architecture as PUT takes it, with the fix applied; null for a fix this page cannot make.
function applied(arch, fix) {
  const next = {
    name: arch.name, input_shape: arch.input_shape, dataset_id: arch.dataset_id ?? null,
    layers: structuredClone(arch.layers), compile: structuredClone(arch.compile || {}),
  };
  const layer = Number.isInteger(fix.index) ? next.layers[fix.index] : null;
  if (fix.action === "set_args" && layer) layer.args = { ...(layer.args || {}), ...fix.args };
  else if (fix.action === "set_compile") Object.assign(next.compile, structuredClone(fix.compile));
  else if (fix.action === "set_input_shape") next.input_shape = fix.input_shape;
  else if (fix.action === "insert" && Number.isInteger(fix.index)) {
    next.layers.splice(fix.index, 0, { type: fix.layer.type, args: fix.layer.args || {} });
  } else return null;
  return next;
}

async function applyToArchitecture(id, fix) {
  const arch = await api.get(`/api/architectures/${id}`);
  const next = applied(arch, fix);
  if (!next) throw new Error(`This fix (${fix.label}) cannot be made here: open the architecture in the builder.`);
  return api.put(`/api/architectures/${id}`, next, { "If-Match": `"${arch.version}"` });
}

// The fixes a problem or warning offers, as buttons; `done(saved)` runs after a saved fix.
export function fixButtons(note, architectureId, done, fail) {
  const fixes = note.fixes || (note.fix ? [note.fix] : []);
  return fixes.filter((f) => f.label && architectureId).map((fix) => el("button", {
    type: "button", class: "b-fix", "data-testid": "train-fix",
    onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        done(await applyToArchitecture(architectureId, fix), fix);
      } catch (error) {
        fail(error);
      }
    },
  }, fix.label));
}
