// The sweeps page: the list is rendered by the server; this module runs the form that
// starts a sweep. It sends the same POST /api/sweeps a script would, built from a saved
// architecture, a dataset, the base fit settings and the values to try per setting.

import { $, api, el, fillSelect } from "./common.js";
import { gridFrom, runsIn, unitsFields } from "./sweep/form.js";

const page = $("new-sweep");
const lists = { architectures: [], datasets: [] };
const byName = (item) => `${item.name} (#${item.id})`;

function chosenArchitecture() {
  return lists.architectures.find((a) => String(a.id) === $("sweep-architecture").value);
}

// One "units" row per hidden Dense layer of the chosen architecture.
function showArchitecture() {
  const arch = chosenArchitecture();
  $("grid-units").replaceChildren(...(arch ? unitsFields(arch.layers) : []));
  $("sweep-base-about").replaceChildren(arch
    ? el("span", {}, `${arch.layers.length} layers: ${arch.layers.map((l) => l.type).join(" → ")} · `,
      el("a", { href: `/builder?architecture=${arch.id}`, text: "edit" }))
    : el("span", {}, "No saved architecture yet: ", el("a", { href: "/builder", text: "build one first" }), "."));
  $("sweep-start").disabled = !arch || !$("sweep-dataset").value;
  showCount();
}

function showCount() {
  const grid = gridFrom($("sweep-form"));
  const all = runsIn(grid);
  const trials = Number($("sweep-trials").value) || null;
  const runs = trials ? Math.min(trials, all) : all;
  const most = Number(page.dataset.maxRuns);
  $("sweep-count").textContent = Object.keys(grid).length
    ? `${runs} run${runs === 1 ? "" : "s"}${trials && trials < all ? ` (a sample of ${all})` : ""}` +
      (runs > most ? `: more than this server's ${most} per sweep` : "")
    : "List values to try in at least one row.";
}

function showProblems(problems) {
  $("sweep-problems").replaceChildren(...problems.map((p) =>
    el("div", { class: "problem", "data-testid": "sweep-problem", text: p.msg })));
}

function numberOrNull(id) {
  const raw = $(id).value.trim();
  return raw === "" ? null : Number(raw);
}

function sweepRequest() {
  const fit = { epochs: numberOrNull("sweep-epochs"), batch_size: numberOrNull("sweep-batch-size") };
  const seed = numberOrNull("sweep-seed");
  if (seed !== null) fit.seed = seed;
  const body = {
    base: { architecture_id: Number($("sweep-architecture").value), dataset_id: Number($("sweep-dataset").value), fit },
    grid: gridFrom($("sweep-form")),
  };
  const trials = numberOrNull("sweep-trials");
  if (trials !== null) body.trials = trials;
  const name = $("sweep-name").value.trim();
  if (name) body.name = name;
  return body;
}

async function startSweep(event) {
  event.preventDefault();
  const body = sweepRequest();
  if (!Object.keys(body.grid).length) {
    showProblems([{ msg: "List the values to try in at least one row, e.g. 0.01, 0.001 for the learning rate." }]);
    return;
  }
  $("sweep-start").disabled = true;
  try {
    const sweep = await api.post("/api/sweeps", body);
    location.assign(`/sweeps/${sweep.id}`);
  } catch (error) {
    showProblems(error.problems && error.problems.length ? error.problems : [{ msg: error.message }]);
    $("sweep-start").disabled = false;
  }
}

async function loadChoices() {
  const [architectures, datasets] = await Promise.all([
    api.get("/api/architectures?limit=500"), api.get("/api/datasets?limit=500")]);
  lists.architectures = architectures.data;
  lists.datasets = datasets.data;
  fillSelect($("sweep-architecture"), lists.architectures, { text: byName, chosen: page.dataset.architectureId || undefined });
  fillSelect($("sweep-dataset"), lists.datasets, { text: byName });
  showArchitecture();
}

$("sweep-architecture").addEventListener("change", showArchitecture);
$("sweep-dataset").addEventListener("change", showArchitecture);
$("sweep-form").addEventListener("input", showCount);
$("sweep-form").addEventListener("submit", startSweep);
loadChoices();
