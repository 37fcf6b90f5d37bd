// The Deploy card: the trained model in each deployment format, converted on the server the
// first time it is asked for and checked there against the Keras model; and the bundle that
// reproduces the run. A format not built yet is built on click (seconds: a process of its
// own imports TensorFlow), then downloaded; its size and agreement then show in the table.

import { $, api, el, flash, fmtBytes } from "../common.js";

const NAMES = {
  keras: "Keras (.keras)",
  savedmodel: "SavedModel (.zip)",
  tflite: "TensorFlow Lite",
  "tflite-int8": "TensorFlow Lite, int8 weights",
  onnx: "ONNX",
};

export async function showDownloads(runId) {
  const card = $("deploy");
  if (!card) return;
  let listed;
  try {
    listed = await api.get(`/api/runs/${runId}/exports`);
  } catch (error) {
    flash(error.message);
    return;
  }
  const rows = listed.formats.map((item) => formatRow(runId, item));
  $("deploy-formats").replaceChildren(
    el("thead", {}, el("tr", {},
      ["Format", "What it is", "Size", "Agrees with Keras", ""].map((t) => el("th", { text: t })))),
    el("tbody", {}, rows),
  );
  const input = listed.formats[0]?.input;
  $("deploy-input").textContent = input ? `Every format takes ${input}.` : "";
  card.hidden = false;
}

function formatRow(runId, item) {
  const report = item.report;
  const agreement = report
    ? `${(100 * report.agreement).toFixed(report.agreement === 1 ? 0 : 2)}% top-1` +
      (report.compared ? ` on ${report.compared} ${report.samples} samples, outputs within ${
        report.max_difference.toPrecision(2)}` : " (it is the model)")
    : "checked when built";
  const button = el("button", {
    type: "button",
    class: report ? "" : "primary",
    "data-testid": `export-${item.format}`,
    text: report ? "Download" : "Build and download",
    onclick: () => download(runId, item, button),
  });
  return el("tr", { "data-format": item.format },
    el("td", {}, el("strong", { text: NAMES[item.format] || item.format })),
    el("td", {}, item.about,
      el("details", {}, el("summary", { text: "Load it" }), el("pre", {}, el("code", { text: item.load })))),
    el("td", { class: "num", "data-testid": `export-size-${item.format}`, text: report ? fmtBytes(report.size) : "–" }),
    el("td", { "data-testid": `export-agreement-${item.format}`, text: agreement }),
    el("td", {}, button));
}

async function download(runId, item, button) {
  const url = `/api/runs/${runId}/export?format=${encodeURIComponent(item.format)}`;
  button.disabled = true;
  const label = button.textContent;
  if (!item.report) button.textContent = "Converting and checking…";
  try {
    const response = await fetch(url);
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error(body?.detail ?? `The server answered ${response.status}.`);
    }
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: `run-${runId}-${item.file}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    await showDownloads(runId); // its size and agreement, now that it is built
  } catch (error) {
    flash(`${NAMES[item.format]}: ${error.message}`);
    button.disabled = false;
    button.textContent = label;
  }
}
