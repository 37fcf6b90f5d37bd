// The predict page: send an image (chosen, dropped or drawn) to a completed run and show the
// top-k labels, the low-confidence warning, and the image as the model received it; and
// what each layer makes of it, updated as you draw (static/js/predict/inside.js).

import { $, api, el, fmtShape } from "./common.js";
import { Drawing } from "./predict/draw.js";
import { clearInside, showFilters, showInside } from "./predict/inside.js";

const TOP_K = 5;
const INSIDE_DEBOUNCE_MS = 250;  // while drawing: look inside once the pen rests this long
const state = { runs: [], names: { architectures: {}, datasets: {} }, objectUrl: null };

// ---------------------------------------------------------------------------- the run

function selectedRun() {
  return state.runs.find((r) => String(r.id) === $("run").value) || null;
}

// How the server reads a sample shape as an image (app/predictions/inputs.py image_geometry).
function imageKind(shape) {
  if (shape.length === 2) return "grayscale";
  if (shape.length === 3 && shape[2] === 1) return "grayscale";
  if (shape.length === 3 && shape[2] === 3) return "rgb";
  if (shape.length === 1 && Number.isInteger(Math.sqrt(shape[0])) && shape[0] >= 4) return "grayscale";
  return null;
}

// Runs carry their architecture's and dataset's names (`architecture_name`, `dataset_name`);
// from a server that does not send them yet, the names come from the lists (see loadRuns).
function runLabel(run) {
  const arch = run.architecture_name || state.names.architectures[run.architecture_id] ||
    (run.stack.name && run.stack.name !== "inline" ? run.stack.name : "inline stack");
  const data = run.dataset_name || state.names.datasets[run.dataset_id] ||
    (run.dataset_id ? `dataset #${run.dataset_id}` : "deleted dataset");
  const acc = run.test_metrics && run.test_metrics.accuracy;
  const score = typeof acc === "number" ? ` · test accuracy ${(100 * acc).toFixed(1)}%` : "";
  return `#${run.id} · ${arch} on ${data}${score}`;
}

// The model's input as Keras prints it, batch axis first: the one shape this page names, in
// the run line and in the answer's table alike (the dataset's own (28, 28, 1) may differ:
// the run reshaped it, and says so under "This model expects").
function modelInput(prep) {
  return fmtShape([null, ...prep.model_shape]);
}

function showRun() {
  const run = selectedRun();
  clearResult();
  clearInside();
  $("filters-card").hidden = true;
  if (!run) return;
  showFilters(run.id);
  const prep = run.preprocessing;
  const kind = imageKind(prep.dataset_shape);
  const classes = prep.class_names || [];
  $("run-about").textContent = kind
    ? `Takes ${kind} images; the model's input is ${modelInput(prep)}; ${classes.length} classes: ` +
      `${classes.slice(0, 12).join(", ")}${classes.length > 12 ? ", …" : ""}.`
    : `This run's samples have shape ${fmtShape(prep.dataset_shape)}: not images, so it cannot predict from one.`;
  showExpects(run);
  showDiagnosis(run);
  // Drawing makes sense for one-channel models (digits, letters, sketches), not photos.
  $("draw-card").hidden = kind !== "grayscale";
  const side = prep.dataset_shape.length === 1 ? Math.sqrt(prep.dataset_shape[0]) : prep.dataset_shape[1];
  drawing.setBrush(side);
}

// What Layerstack changed between the dataset and this model, said as what the model expects.
function showExpects(run) {
  const expects = (run.automatic_changes || []).map((c) => c.expects).filter(Boolean);
  $("run-expects").hidden = !expects.length;
  $("run-expects").textContent = `This model expects ${expects.join(" and ")}: the server does this ` +
    "to every image you send, as training did; a model downloaded from this run needs the same.";
}

// A run that learned little is the likely reason for any poor answer: say so before the image is blamed.
function showDiagnosis(run) {
  const d = run.diagnosis;
  $("run-diagnosis").hidden = !d;
  if (!d) return;
  $("run-diagnosis").replaceChildren(
    el("strong", { text: `Run #${run.id} learned little, so its answers say little about any image. ` }),
    `${d.findings.join(" ")} Likely causes: `,
    el("ul", {}, ...d.causes.map((c) => el("li", { text: c.text }))),
    el("a", { href: `/runs/${run.id}`, text: "See the run" }));
}

async function explainMissing(runId) {
  // The ?run= asked for is not completed (or does not exist): say why rather than ignore it.
  try {
    const run = await api.get(`/api/runs/${runId}`);
    showError(`Run #${runId} is ${run.status}; only a completed run has a trained model to predict with.`);
  } catch (error) {
    showError(error.message);
  }
}

async function loadNames() {
  const [architectures, datasets] = await Promise.all([
    api.get("/api/architectures?limit=1000").catch(() => ({ data: [] })),
    api.get("/api/datasets?limit=1000").catch(() => ({ data: [] })),
  ]);
  architectures.data.forEach((a) => { state.names.architectures[a.id] = a.name; });
  datasets.data.forEach((d) => { state.names.datasets[d.id] = d.name; });
}

async function loadRuns() {
  const wanted = $("predict-page").dataset.runId;
  const runs = await api.get("/api/runs?status=completed&limit=500");
  state.runs = runs.data;
  if (state.runs.some((r) => !("architecture_name" in r && "dataset_name" in r))) await loadNames();
  $("run").replaceChildren(...state.runs.map((r) => el("option", { value: r.id, text: runLabel(r) })));
  if (wanted && state.runs.some((r) => String(r.id) === wanted)) $("run").value = wanted;
  showRun();
  if (!state.runs.length) {
    $("run-about").replaceChildren("No completed run yet: ",
      el("a", { href: "/train", text: "train a model" }), " first.");
  }
  if (wanted && $("run").value !== wanted) await explainMissing(wanted);
  // From a confusion cell's examples on the run page: ?sample=N looks inside that test image.
  const sample = new URLSearchParams(window.location.search).get("sample");
  const run = selectedRun();
  if (run && sample !== null && /^\d+$/.test(sample)) {
    showInside(run.id, { sample: Number(sample) }, run.preprocessing.class_names || []);
  }
}

$("run").addEventListener("change", showRun);

// ---------------------------------------------------------------------------- predicting

async function predict(blob, name) {
  const run = selectedRun();
  if (!run) {
    showError("Choose a completed run first.");
    return;
  }
  const body = new FormData();
  body.append("file", blob, name);
  showError("");
  $("result-empty").textContent = "Predicting…";
  try {
    const answer = await api.post(`/api/runs/${run.id}/predict?k=${TOP_K}`, body);
    await showResult(answer.predictions[0], blob);
    showInside(run.id, { blob, name }, run.preprocessing.class_names || []);
  } catch (error) {
    clearResult();
    showError(error.message);  // 415 not an image, 409 not completed, 422 bad request
  }
}

function showError(message) {
  $("predict-error").replaceChildren(...(message ? [el("div", { class: "problem", text: message })] : []));
}

function clearResult() {
  $("result-body").hidden = true;
  $("result-empty").hidden = false;
  $("result-empty").textContent = "Choose, drop or draw an image to see what the model makes of it.";
  showError("");
}

function pct(p) {
  return `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 2 : 1)}%`;
}

async function showResult(prediction, blob) {
  $("predicted-label").textContent = prediction.label;
  $("predicted-probability").textContent = pct(prediction.probability);
  const unsure = $("low-confidence");
  unsure.hidden = !prediction.low_confidence;
  const learnedLittle = Boolean(selectedRun() && selectedRun().diagnosis);
  unsure.textContent = `Not sure: the best guess has only ${pct(prediction.probability)}. ` + (learnedLittle
    ? "This run learned little (see above): the model, more than the image, is the likely reason."
    : "The image may not look like anything the model was trained on.");
  $("topk").replaceChildren(...prediction.top_k.map(topBar));
  showPreprocessing(prediction.preprocessing);
  await drawModelView(blob, prediction.preprocessing);
  $("result-empty").hidden = true;
  $("result-body").hidden = false;
  // On a phone the answer is below the inputs: bring it into view.
  if (window.matchMedia("(max-width: 700px)").matches) $("result").scrollIntoView({ block: "nearest" });
}

function topBar(entry, i) {
  return el("div", { class: `topk-row${i === 0 ? " best" : ""}`, "data-testid": "topk-bar" },
    el("span", { class: "topk-label", text: entry.label }),
    el("div", { class: "topk-bar" }, el("span", { style: { width: `${(100 * entry.probability).toFixed(1)}%` } })),
    el("span", { class: "topk-p", text: pct(entry.probability) }));
}

function showPreprocessing(p) {
  const size = (hw) => (hw ? `${hw[1]} × ${hw[0]}` : "kept");  // the server sends [height, width]
  const facts = [
    ["Received", `${p.format}, ${size(p.original_size)} px, mode ${p.original_mode}`],
    ["Resized to", p.resized_to ? `${size(p.resized_to)} px` : "no resize needed"],
    ["Colour", p.color_mode],
    ["Inverted", p.inverted ? "yes: the background was the opposite of the training images'" : "no"],
    ["Model input", `${modelInput(selectedRun().preprocessing)}; pixels mapped onto the dataset's ` +
      `${p.value_range[0]}..${p.value_range[1]}, then scaled as in training`],
  ];
  if (p.alpha_flattened) facts.push(["Transparency", "flattened"]);
  if (p.exif_transposed) facts.push(["Rotation", "turned upright from the camera's EXIF"]);
  (p.warnings || []).forEach((w) => facts.push(["Warning", w]));
  $("preprocessing").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

// The answer carries the model's input as a PNG (resized, in the model's colours, inverted
// if it was): draw exactly that, scaled up without smoothing.
async function drawModelView(blob, p) {
  if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
  state.objectUrl = URL.createObjectURL(blob);
  $("uploaded").src = state.objectUrl;
  const seen = new Image();
  seen.src = p.model_input_png;
  await seen.decode();
  const canvas = $("model-view");
  canvas.width = seen.naturalWidth;
  canvas.height = seen.naturalHeight;
  canvas.getContext("2d").drawImage(seen, 0, 0);
  $("model-view-caption").textContent =
    `model input: ${seen.naturalWidth} × ${seen.naturalHeight}${p.inverted ? ", inverted" : ""}`;
}

// ---------------------------------------------------------------------------- choose or drop

function predictFile(file) {
  if (file) predict(file, file.name);
}

$("image-file").addEventListener("change", (e) => {
  predictFile(e.target.files[0]);
  e.target.value = "";  // choosing the same file again should predict again
});

const zone = $("dropzone");
zone.addEventListener("dragover", (e) => {
  e.preventDefault();  // without this the browser opens the dropped file instead
  zone.classList.add("over");
});
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", (e) => {
  e.preventDefault();
  zone.classList.remove("over");
  predictFile(e.dataTransfer.files[0]);
});
zone.addEventListener("keydown", (e) => {
  if (e.key === "Enter" || e.key === " ") $("image-file").click();
});

// ---------------------------------------------------------------------------- drawing

// Each layer's answer follows the drawing: once the pen rests, the canvas goes to the
// activations and saliency endpoints (not to predict: the last layer's bars are its answer).
const drawing = new Drawing($("draw-canvas"), {
  restMs: INSIDE_DEBOUNCE_MS,
  onRest: () => {
    const run = selectedRun();
    if (!run || !drawing.drawn) return;
    const names = run.preprocessing.class_names || [];
    drawing.toBlob((blob) => showInside(run.id, { blob, name: "drawing.png" }, names));
  },
});

$("clear-canvas").addEventListener("click", () => {
  drawing.clear();
  clearInside();
});
$("predict-drawing").addEventListener("click", () => {
  if (!drawing.drawn) {
    showError("Draw something first.");
    return;
  }
  drawing.toBlob((blob) => predict(blob, "drawing.png"));
});

drawing.setBrush(28);
loadRuns().catch((error) => showError(`Could not load the runs: ${error.message}`));
