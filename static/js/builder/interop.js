// Keras code in and out. "Paste Keras code" sends the tutorial's code to
// POST /api/architectures/import (read with `ast` on the server, never run), opens the stack
// it describes and shows every line it did not use with the reason beside that line.
// "Export Python" downloads the open stack as a script (POST /api/architectures/export).

import { $, ApiError, api, el, flash, fmtInt } from "../common.js";
import { adopt, fromApi, payload } from "./payload.js";
import { renderAll, state } from "./state.js";

export function openImport() {
  $("import-dialog").showModal();
  $("import-source").focus();
}

export async function runImport() {
  const source = $("import-source").value;
  const box = $("import-result");
  if (!source.trim()) {
    box.replaceChildren(el("p", { class: "problem", text: "Paste some Keras code first." }));
    return;
  }
  if (state.layers.length && !confirm("Replace the current stack with the pasted model?")) return;
  try {
    const result = await api.post("/api/architectures/import", { format: "python", source, save: false });
    adopt(fromApi(result.architecture));
    state.fit = result.fit || {};
    renderAll();
    box.replaceChildren(importedLine(result), annotated(source, result.ignored));
  } catch (error) {
    // The reader's own refusal names a line ({line, column} as its input); a stack that does
    // not check names the layer.
    const notes = (error.problems || []).map((p) => ({ line: p.input && p.input.line, message: p.msg }));
    box.replaceChildren(
      el("p", { class: "problem", "data-testid": "import-problem", text: `Not imported: ${error.message}` }),
      annotated(source, notes.filter((n) => n.line)));
  }
}

function importedLine(result) {
  const layers = result.architecture.layers.length;
  const fit = Object.entries(result.fit || {}).map(([k, v]) => `${k}=${v}`).join(", ");
  const unused = result.ignored.length;
  return el("p", { class: "ok", "data-testid": "import-done" },
    `Imported ${layers} layers, ${fmtInt(result.summary.total_params)} params. `,
    fit ? `Training settings found (${fit}): “Train this” fills them in once saved. ` : "",
    unused === 1 ? "1 line was not used: see the note beside it."
      : unused ? `${unused} lines were not used: see the notes beside them.` : "Every line was used.");
}

// The pasted source, numbered, with each note beside the line it came from.
function annotated(source, notes) {
  const byLine = new Map();
  for (const note of notes) {
    if (!byLine.has(note.line)) byLine.set(note.line, []);
    byLine.get(note.line).push(note.message);
  }
  const lines = source.split("\n").map((text, i) => {
    const said = byLine.get(i + 1) || [];
    return el("li", { class: said.length ? "b-code-noted" : null, "data-line": i + 1 },
      el("code", { text: text || " " }),
      ...said.map((message) => el("span", { class: "b-code-note", "data-testid": "import-note", text: message })));
  });
  return el("ol", { class: "b-code", "aria-label": "The pasted code, with notes" }, lines);
}

export async function exportPython() {
  let response;
  try {
    response = await fetch("/api/architectures/export", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload()),
    });
  } catch {
    flash("Not exported: the server cannot be reached.");
    return;
  }
  if (!response.ok) {
    const text = await response.text();
    let data = null;
    try { data = JSON.parse(text); } catch { /* not JSON: the status says enough */ }
    flash(`Not exported: ${ApiError.from(response.status, data, text).message}`);
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const name = (state.name.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "model").slice(0, 60);
  const link = el("a", { href: url, download: `${name}.py`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  flash(`Exported “${name}.py”: run it with Python and TensorFlow installed.`, "ok");
}
