// The live summary: POST /api/summary a moment after each change, then the same table as
// model.summary() and the notes (problems or warnings) on the layers they name.

import { $, api, el, flash, fmtBytes, fmtInt, fmtShape } from "../common.js";
import { setNotes } from "./notes.js";
import { payload } from "./payload.js";
import { renderStack } from "./stack.js";
import { state } from "./state.js";

const SUMMARY_DEBOUNCE_MS = 150;
let summarySeq = 0;
let summaryTimer = null;
let summaryFlashed = false;

export function scheduleSummary() {
  clearTimeout(summaryTimer);
  summaryTimer = setTimeout(runSummary, SUMMARY_DEBOUNCE_MS);
}

async function runSummary() {
  const seq = ++summarySeq;
  const uids = state.layers.map((l) => l.uid);
  if (!uids.length) {
    setNotes([], [], uids);
    renderSummary(null, "Add layers to see the summary.");
    renderStack();
    return;
  }
  $("summary-status").textContent = "updating…";
  try {
    const summary = await api.post("/api/summary", payload());
    if (seq !== summarySeq) return; // an answer to an older stack: a newer one is on its way
    if (summaryFlashed) flash("");
    summaryFlashed = false;
    state.rows = new Map(summary.layers.map((row, i) => [uids[i], row]));
    setNotes([], summary.warnings, uids);
    renderSummary(summary);
  } catch (error) {
    if (seq !== summarySeq) return;
    state.rows = new Map();
    setNotes(error.problems || [], [], uids);
    if (!(error.problems || []).length) {
      flash(`The summary could not be computed: ${error.message}`);
      summaryFlashed = true; // cleared by the next answer that works
    }
    renderSummary(null, "No summary: the stack does not build yet. Fix the problem marked in red.");
  }
  renderStack();
}

// The same table as model.summary(): name (type), output shape, parameters, then totals.
function renderSummary(summary, message) {
  $("summary-status").textContent = "";
  const box = $("summary");
  if (!summary) {
    box.replaceChildren(el("p", { class: "muted small", "data-testid": "summary-message", text: message }));
    return;
  }
  const rows = summary.layers.map((row) => el("tr", { "data-testid": `summary-row-${row.index}` },
    el("td", { text: `${row.name} (${row.type})` }),
    el("td", { text: fmtShape(row.output_shape) }),
    el("td", { class: "num", text: fmtInt(row.params) })));
  const head = el("tr", {},
    el("th", { text: "Layer (type)" }), el("th", { text: "Output shape" }),
    el("th", { class: "num", text: "Param #" }));
  const total = (label, value, testid) =>
    el("div", {}, el("dt", { text: label }), el("dd", { "data-testid": testid, text: value }));
  box.replaceChildren(
    el("table", { class: "b-summary-table" }, el("thead", {}, head), el("tbody", {}, rows)),
    el("dl", { class: "b-totals" },
      total("Total params", fmtInt(summary.total_params), "total-params"),
      total("Trainable params", fmtInt(summary.trainable_params), "trainable-params"),
      total("Non-trainable params", fmtInt(summary.non_trainable_params), "non-trainable-params"),
      total("Model size (float32 weights)", fmtBytes(summary.size_bytes), "model-size")));
  if (!summary.built) {
    box.append(el("p", { class: "muted small",
      text: "Not built: set an input shape to see shapes and parameter counts." }));
  }
}
