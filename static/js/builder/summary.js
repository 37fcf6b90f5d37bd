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
    const query = state.dataset ? `?dataset_id=${state.dataset.id}` : "";
    const summary = await api.post(`/api/summary${query}`, payload());
    if (seq !== summarySeq) return; // an answer to an older stack: a newer one is on its way
    if (summaryFlashed) flash("");
    summaryFlashed = false;
    state.rows = new Map(summary.layers.map((row, i) => [uids[i], row]));
    setNotes([], summary.warnings, uids);
    renderSummary(summary);
  } catch (error) {
    if (seq !== summarySeq) return;
    // A 422 keeps the rows of the layers before the fault (with `fault_index`).
    const partial = (error.body && error.body.summary) || null;
    state.rows = new Map((partial ? partial.layers : []).map((row, i) => [uids[i], row]));
    setNotes(error.problems || [], partial ? partial.warnings : [], uids);
    if (!(error.problems || []).length) {
      flash(`The summary could not be computed: ${error.message}`);
      summaryFlashed = true; // cleared by the next answer that works
    }
    renderSummary(null, faultMessage(partial));
    if (partial && partial.layers.length) renderPartial(partial);
  }
  renderStack();
}

function faultMessage(partial) {
  const at = partial ? partial.fault_index : null;
  if (at === null || at === undefined) {
    return "No summary: the stack does not build yet. Fix the problem marked in red.";
  }
  if (partial.complete) return "The stack does not build as it is: fix the problem marked in red.";
  return `The stack does not build from layer ${at} on: fix the problem marked in red. ` +
    "The layers before it:";
}

// The rows Keras could still show, then the layer at fault.
function renderPartial(partial) {
  const rows = partial.layers.map(summaryRow);
  const at = partial.fault_index;
  if (!partial.complete && at !== null) {
    const layer = state.layers[at];
    rows.push(el("tr", { class: "b-fault", "data-testid": "summary-fault" },
      el("td", { text: `layer ${at}${layer ? ` (${layer.type})` : ""}` }),
      el("td", { colspan: "2", text: "does not build" })));
  }
  $("summary").append(
    el("table", { class: "b-summary-table" }, el("thead", {}, summaryHead()), el("tbody", {}, rows)),
    el("dl", { class: "b-totals" }, el("div", {},
      el("dt", { text: partial.complete ? "Total params" : `Params before layer ${at}` }),
      el("dd", { "data-testid": "partial-params", text: fmtInt(partial.total_params) }))));
}

const summaryRow = (row) => el("tr", { "data-testid": `summary-row-${row.index}` },
  el("td", { text: `${row.name} (${row.type})` }),
  el("td", { text: fmtShape(row.output_shape) }),
  el("td", { class: "num", text: fmtInt(row.params) }));

const summaryHead = () => el("tr", {},
  el("th", { text: "Layer (type)" }), el("th", { text: "Output shape" }),
  el("th", { class: "num", text: "Param #" }));

// What the phone's bar says about the summary it leads to.
function summaryInWords(summary) {
  if (summary) return `${fmtInt(summary.total_params)} params`;
  return state.layers.length ? "does not build" : "no layers";
}

// The same table as model.summary(): name (type), output shape, parameters, then totals.
function renderSummary(summary, message) {
  $("summary-status").textContent = "";
  $("phone-total").textContent = summaryInWords(summary);
  const box = $("summary");
  if (!summary) {
    box.replaceChildren(el("p", { class: "muted small", "data-testid": "summary-message", text: message }));
    return;
  }
  const rows = summary.layers.map(summaryRow);
  const head = summaryHead();
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
