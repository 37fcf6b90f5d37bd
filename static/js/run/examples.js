// The run page's confusion-cell examples: a click on a cell of the matrix shows the test
// images of that true/predicted pair with their probabilities, the most confident first
// (GET /api/runs/{id}/examples), a page at a time.

import { $, api, el } from "../common.js";

const PAGE = 24;
let latest = 0;

export async function showExamples(runId, truth, predicted, names, offset = 0) {
  const mine = ++latest;
  const box = examplesBox();
  const name = (i) => names[i] ?? String(i);
  const what = truth === predicted
    ? `${name(truth)} predicted right` : `true ${name(truth)}, predicted ${name(predicted)}`;
  box.replaceChildren(el("p", { class: "muted", text: `Loading the test images: ${what}…` }));
  let answer;
  try {
    answer = await api.get(`/api/runs/${runId}/examples?true=${truth}&predicted=${predicted}` +
      `&offset=${offset}&limit=${PAGE}`);
  } catch (error) {
    if (mine === latest) box.replaceChildren(el("div", { class: "problem", text: error.message }));
    return;
  }
  if (mine !== latest) return;
  const last = Math.min(offset + answer.data.length, answer.count);
  const more = last < answer.count
    ? el("button", { type: "button", "data-testid": "examples-more", text: "Next page",
      onclick: () => showExamples(runId, truth, predicted, names, last) })
    : null;
  box.replaceChildren(
    el("h3", { "data-testid": "examples-title", text: `${what}: ${answer.count} of ${answer.test_samples} test images` }),
    el("p", { class: "muted small", text: answer.count
      ? `${offset + 1}–${last}, the most confident first.` : "None in the test set." }),
    el("div", { class: "example-grid" }, answer.data.map((e) => example(runId, e))),
    ...(more ? [more] : []));
}

function example(runId, e) {
  const p = (v) => `${(100 * v).toFixed(1)}%`;
  const right = e.true === e.predicted;
  return el("figure", { class: "example", "data-testid": "example", "data-index": e.index },
    el("img", { src: e.image, alt: `test sample ${e.index}` }),
    el("figcaption", {},
      el("strong", { text: `${e.predicted_label} · ${p(e.probability)}` }),
      right ? null : [el("br"), el("span", { class: "muted", text: `true ${e.true_label} · ${p(e.true_probability)}` })],
      el("br"), el("a", { class: "small", href: `/predict?run=${runId}&sample=${e.index}`,
        "data-testid": "example-inside", title: "Each layer's output and why this label",
        text: `#${e.index} inside` })));
}

function examplesBox() {
  let box = $("examples");
  if (!box) {
    box = el("div", { id: "examples", class: "examples", "data-testid": "examples", "aria-live": "polite" });
    $("confusion").after(box);
  }
  return box;
}
