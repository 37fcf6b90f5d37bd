// One dataset: its facts, per-class counts as bars, a grid of sample images, and delete.
"use strict";

const $ = (id) => document.getElementById(id);
const datasetId = Number($("dataset-page").dataset.datasetId);
const SAMPLES = 24;

function showProblem(message) {
  $("dataset-problem").textContent = message;
  $("dataset-problem").hidden = !message;
}

// ---------------------------------------------------------------------------- facts

function fmtNumber(x) {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

// Notes are free-form (the server adds what it decided); show them as "key: value".
function notesText(notes) {
  const entries = Object.entries(notes || {});
  if (!entries.length) return "none";
  const text = (v) => (typeof v === "object" ? JSON.stringify(v) : v);
  return entries.map(([k, v]) => `${k.replaceAll("_", " ")}: ${text(v)}`).join("; ");
}

function showFacts(d) {
  const skipped = d.skipped || [];
  const facts = [
    ["Format", d.builtin ? `built in (${d.source})` : d.format],
    ["Source", d.builtin ? "ships with the server" : d.source],
    ["Sample shape", fmtShape(d.input_shape)],
    ["Values", `${d.dtype}, ${fmtNumber(d.value_min)} to ${fmtNumber(d.value_max)}`],
    ["Samples", `${fmtInt(d.num_train)} train, ${fmtInt(d.num_test)} test`],
    ["Classes", `${d.class_names.length}: ${d.class_names.join(", ")}`],
    ["Notes", notesText(d.notes)],
    ["Added", new Date(d.created_at).toLocaleString()],
  ];
  if (skipped.length) facts.push(["Skipped", skipped.map((s) => `${s.entry} (${s.reason})`).join("; ")]);
  $("facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

// ---------------------------------------------------------------------------- class bars

// One row per class: a bar made of its train and test counts, scaled to the largest class.
function showBars(d) {
  const train = d.class_counts.train || [];
  const test = d.class_counts.test || [];
  const totals = d.class_names.map((_, i) => (train[i] || 0) + (test[i] || 0));
  const most = Math.max(1, ...totals);
  const rows = d.class_names.flatMap((name, i) => {
    const part = (n, kind) => el("span", { class: kind, style: `width: ${(100 * (n || 0)) / most}%` });
    return [
      el("span", { class: "small", text: name }),
      el("div", { class: "bar", title: `${name}: ${train[i] || 0} train, ${test[i] || 0} test`,
        "data-testid": "class-bar" }, part(train[i], "train"), part(test[i], "test")),
      el("span", { class: "count", text: `${fmtInt(train[i] || 0)} / ${fmtInt(test[i] || 0)}` }),
    ];
  });
  $("class-bars").replaceChildren(...rows);
}

// ---------------------------------------------------------------------------- samples

async function showSamples() {
  const split = $("split").value;
  const grid = $("sample-grid");
  try {
    const answer = await api.get(`/api/datasets/${datasetId}/samples?n=${SAMPLES}&split=${split}`);
    const images = answer.samples.filter((s) => s.image);
    grid.replaceChildren(...images.map((s) => el("figure", { "data-testid": "sample" },
      el("img", { src: s.image, alt: `a sample of class ${s.class_name}`, width: 56, height: 56 }),
      el("figcaption", { text: s.class_name, title: `${s.class_name} (#${s.index})` }))));
    const note = $("samples-note");
    note.hidden = images.length > 0;
    note.textContent = "These samples are not images (e.g. rows of a CSV), so there is nothing to show.";
  } catch (error) {
    grid.replaceChildren(el("p", { class: "problem", text: error.message }));
  }
}

$("split").addEventListener("change", showSamples);

// ---------------------------------------------------------------------------- delete

async function deleteDataset() {
  const name = $("dataset-name").textContent;
  if (!window.confirm(`Delete “${name}” and its files? Runs trained on it keep their models.`)) return;
  try {
    await api.del(`/api/datasets/${datasetId}`);
    window.location.assign("/datasets");
  } catch (error) {
    showProblem(error.message);  // 409: built in, or in use by a running run
  }
}

$("delete-dataset").addEventListener("click", deleteDataset);

async function start() {
  let d;
  try {
    d = await api.get(`/api/datasets/${datasetId}`);
  } catch (error) {
    showProblem(error.message);
    $("delete-dataset").hidden = true;
    return;
  }
  $("dataset-name").textContent = d.name;
  document.title = `${d.name} · Layerstack`;
  showFacts(d);
  showBars(d);
  if (!d.num_test) $("split").querySelector('[value="test"]').disabled = true;
  await showSamples();
}

start();
