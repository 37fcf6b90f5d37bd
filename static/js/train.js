// The train page: pick a saved architecture and a dataset, set model.fit's arguments, and
// POST /api/runs. The server checks the stack against the dataset; its 422 is shown in words.

import { $, api, el, fillSelect, fmtInt, fmtShape } from "./common.js";
import { fixButtons } from "./train/fixes.js";

const form = $("train-form");
const lists = { architectures: [], datasets: [], losses: [] };

// ---------------------------------------------------------------------------- choices

// A loss by its class name (SparseCategoricalCrossentropy), as the builder and the warnings
// here spell it, whether the stack names it by id ("sparse_categorical_crossentropy") or not.
function compileName(value) {
  const name = typeof value === "string" ? value : value && value.name;
  const known = lists.losses.find((l) => l.name === name || (l.ids || []).includes(name));
  return known ? known.name : name;
}

function describeArchitecture(a) {
  const types = a.layers.map((l) => l.type).join(" → ");
  const input = a.input_shape ? `input ${fmtShape(a.input_shape)} · ` : "";
  const loss = compileName(a.compile && a.compile.loss);
  return `${input}${a.layers.length} layers: ${types}${loss ? ` · loss ${loss}` : ""}`;
}

function describeDataset(d) {
  return `${fmtInt(d.num_train)} train / ${fmtInt(d.num_test)} test · samples ${fmtShape(d.input_shape)}` +
    ` · ${d.class_names.length} classes`;
}

// Options read "name (#id)"; when the wanted id is not among them, the first one is chosen.
const byName = (item) => `${item.name} (#${item.id})`;

const chosenArchitecture = () => lists.architectures.find((a) => String(a.id) === $("architecture").value);

// Another architecture brings the dataset it was built against, when it names one.
function onArchitectureChange() {
  const arch = chosenArchitecture();
  const id = arch && arch.dataset_id ? String(arch.dataset_id) : null;
  if (id && lists.datasets.some((d) => String(d.id) === id)) $("dataset").value = id;
  showAbout();
}

function showAbout() {
  const arch = chosenArchitecture();
  const data = lists.datasets.find((d) => String(d.id) === $("dataset").value);
  $("architecture-about").replaceChildren(arch
    ? el("span", {}, `${describeArchitecture(arch)} · `,
      el("a", { href: `/builder?architecture=${arch.id}`, text: "edit" }))
    : el("span", {}, "No saved architecture yet: ", el("a", { href: "/builder", text: "build one first" }), "."));
  $("dataset-about").replaceChildren(data
    ? el("span", {}, `${describeDataset(data)} · `, el("a", { href: `/datasets/${data.id}`, text: "details" }))
    : el("span", {}, "No dataset: ", el("a", { href: "/datasets", text: "upload one" }), "."));
  $("start").disabled = !arch || !data;
  showWarnings(arch, data).catch((error) =>
    showProblems(error.problems && error.problems.length ? error.problems : [{ msg: error.message }]));
}

// Before Start: the saved stack's own warnings (the builder's: the logits trap and the like)
// and, once a dataset is chosen, the same checks Start makes against it (its shape, units
// per class, loss against labels), each with its fix.
async function showWarnings(arch, data) {
  const chosen = () => String(arch && arch.id) === $("architecture").value &&
    String(data && data.id) === String($("dataset").value || "undefined");
  let warnings = [];
  if (arch && data) {
    const stack = { name: arch.name, input_shape: arch.input_shape, layers: arch.layers, compile: arch.compile };
    warnings = (await api.post(`/api/summary?dataset_id=${data.id}`, stack)).warnings;
  } else if (arch) {
    warnings = (await api.get(`/api/architectures/${arch.id}/summary`)).warnings;
  }
  if (!chosen()) return;  // another architecture or dataset was chosen meanwhile
  $("train-warnings").replaceChildren(...warnings.filter((w) => w.type !== "no_input_shape").map((w) =>
    el("div", { class: "warning", "data-testid": "train-warning" }, w.msg, ...fixes(w))));
}

function fixes(note) {
  return fixButtons(note, $("architecture").value, fixed, (error) => showProblems([{ msg: error.message }]));
}

// A fix was saved to the architecture: show it as it is now, and say so.
function fixed(saved, fix) {
  lists.architectures = lists.architectures.map((a) => (a.id === saved.id ? saved : a));
  showProblems([]);
  showAbout();
  $("start-status").textContent = `Saved to ${saved.name}: ${fix.label}.`;
}

async function loadChoices() {
  const wanted = $("train-page").dataset.architectureId;
  const [architectures, datasets, options] = await Promise.all([
    api.get("/api/architectures?limit=500"),
    api.get("/api/datasets?limit=500"),
    api.get("/api/compile-options").catch(() => ({ losses: [] })),  // names only: not vital
  ]);
  lists.losses = options.losses || [];
  lists.architectures = architectures.data;
  lists.datasets = datasets.data;
  fillSelect($("architecture"), lists.architectures, { text: byName, chosen: wanted });
  // The dataset the URL names (the builder's "Train this"), else the one the architecture
  // was built against.
  const arch = chosenArchitecture();
  const dataset = $("dataset").dataset.wanted || (arch && arch.dataset_id ? String(arch.dataset_id) : undefined);
  fillSelect($("dataset"), lists.datasets, { text: byName, chosen: dataset });
  if (wanted && $("architecture").value !== wanted) {
    showProblems([{ msg: `There is no saved architecture #${wanted} (deleted?). Pick another one.` }]);
  }
  showAbout();
}

// The builder's "Train this" carries the fit settings of pasted code (epochs=10, batch_size=256).
function prefillFromUrl() {
  const params = new URLSearchParams(location.search);
  for (const name of ["epochs", "batch_size", "validation_split", "dataset"]) {
    const value = params.get(name);
    if (value !== null && $(name)) $(name).dataset.wanted = value;
    if (value !== null && name !== "dataset") $(name).value = value;
  }
}

prefillFromUrl();
$("architecture").addEventListener("change", onArchitectureChange);
$("dataset").addEventListener("change", showAbout);
$("early_stopping").addEventListener("change", () => {
  $("early-stopping-fields").hidden = !$("early_stopping").checked;
});

// ---------------------------------------------------------------------------- the request

function numberField(id) {
  const raw = $(id).value.trim();
  return raw === "" ? null : Number(raw);
}

function runRequest() {
  const fit = {
    epochs: numberField("epochs"),
    batch_size: numberField("batch_size"),
    validation_split: numberField("validation_split"),
  };
  const seed = numberField("seed");
  if (seed !== null) fit.seed = seed;
  if ($("early_stopping").checked) {
    fit.early_stopping = {
      monitor: $("monitor").value,
      patience: numberField("patience") ?? 0,
      restore_best_weights: $("restore_best_weights").checked,
    };
  }
  return { architecture_id: Number($("architecture").value), dataset_id: Number($("dataset").value), fit };
}

// ---------------------------------------------------------------------------- problems

// A problem about one fit field is shown under it; the others (the stack against the
// dataset, mostly) go in the box beside the form, which says what to change.
function showProblems(problems) {
  form.querySelectorAll(".problem").forEach((node) => node.remove());
  const general = [];
  for (const problem of problems) {
    const loc = problem.loc || [];
    const field = loc[1] === "fit" ? $(loc[loc.length - 1]) : null;
    if (field && field.closest("div")) {
      field.closest("div").append(el("div", { class: "problem", text: problem.msg }));
    } else {
      general.push(problem);
    }
  }
  $("train-problems").replaceChildren(...general.map((p) =>
    el("div", { class: "problem", "data-testid": "train-problem" }, p.msg, ...fixes(p), architectureLink(p))));
}

function architectureLink(problem) {
  const aboutStack = (problem.loc || []).includes("architecture");
  if (!aboutStack || !$("architecture").value) return null;
  const href = `/builder?architecture=${$("architecture").value}`;
  return el("span", {}, " ", el("a", { href, text: "Open it in the builder" }));
}

async function start(event) {
  event.preventDefault();
  showProblems([]);
  $("start").disabled = true;
  $("start-status").textContent = "Checking the stack against the dataset…";
  try {
    const run = await api.post("/api/runs", runRequest());
    $("start-status").textContent = `Run #${run.id} queued; opening it…`;
    window.location.assign(`/runs/${run.id}`);
  } catch (error) {
    $("start-status").textContent = "";
    $("start").disabled = false;
    showProblems(error.problems && error.problems.length ? error.problems : [{ msg: error.message }]);
    // On a phone the box is below the form: bring the first problem into view.
    const first = document.querySelector(".problem");
    if (first && window.matchMedia("(max-width: 700px)").matches) first.scrollIntoView({ block: "nearest" });
  }
}

form.addEventListener("submit", start);
loadChoices().catch((error) => showProblems([{ msg: `Could not load the choices: ${error.message}` }]));
