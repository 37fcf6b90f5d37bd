// The predict page's "Inside the model" panel: every layer's output for the image (feature-map
// grids as the server's PNGs, 1-D outputs as bars on a canvas), the first convolution's
// filters, and "why this label" (a saliency map over the model's input). Answers for an image
// that did not change come from the server's cache; a newer request wins over an older one.

import { $, api, el, fmtShape } from "../common.js";

let latest = 0;  // the newest request; older answers are dropped when they arrive

// ---------------------------------------------------------------------------- activations

// `input`: { blob, name } for an image, or { sample } for a test-set sample by index.
export async function showInside(runId, input, classNames = []) {
  const mine = ++latest;
  const form = () => {
    if (input.sample !== undefined) return undefined;
    const body = new FormData();
    body.append("file", input.blob, input.name);
    return body;
  };
  const query = input.sample !== undefined ? `?sample=${input.sample}` : "";
  $("inside").hidden = false;
  $("inside-status").textContent = "Looking inside…";
  try {
    const [acts, why] = await Promise.all([
      api.post(`/api/runs/${runId}/activations${query}`, form()),
      api.post(`/api/runs/${runId}/saliency${query}`, form()),
    ]);
    if (mine !== latest) return;
    showLayers(acts, classNames);
    await showSaliency(why);
    const sample = acts.preprocessing && acts.preprocessing.sample !== undefined
      ? `Test sample #${acts.preprocessing.sample}, a ${acts.preprocessing.true_label}. ` : "";
    $("inside-status").textContent = sample + (acts.layers_total > acts.layers.length
      ? `The first ${acts.layers.length} of ${acts.layers_total} layers.` : "");
  } catch (error) {
    if (mine === latest) $("inside-status").textContent = `Could not look inside: ${error.message}`;
  }
}

export function clearInside() {
  latest++;
  $("inside").hidden = true;
  $("layers").replaceChildren();
}

function showLayers(answer, classNames) {
  const last = answer.layers_total - 1;
  $("layers").replaceChildren(...answer.layers.map((layer) => el("div",
    { class: "layer", "data-testid": "activation-layer", "data-layer": layer.name },
    el("p", { class: "layer-head" },
      el("strong", { text: layer.name }), ` ${layer.class} `,
      el("span", { class: "muted", text: fmtShape(layer.output_shape) })),
    layer.kind === "maps" ? maps(layer) : bars(layer, layer.index === last ? classNames : []))));
}

function maps(layer) {
  const note = layer.shown < layer.count ? ` (the first ${layer.shown} of ${layer.count})` : "";
  return el("figure", { class: "maps" },
    el("img", {
      src: layer.png, "data-testid": "activation-maps", class: "grid",
      alt: `${layer.shown} feature maps of ${layer.name}, ${layer.tile.join(" × ")} each`,
    }),
    el("figcaption", { class: "muted small",
      text: `${layer.count} maps${note}; black ${fmtNumber(layer.range[0])}, white ${fmtNumber(layer.range[1])}` }));
}

function fmtNumber(v) {
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(2) : v.toExponential(1);
}

// Up to INSIDE_MAX_VALUES bars: a canvas, one column per value, zero at its baseline.
function bars(layer, classNames) {
  const values = layer.values;
  const canvas = el("canvas", { class: "bars", "data-testid": "activation-bars", width: 480, height: 80 });
  const pen = canvas.getContext("2d");
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values);
  const span = high - low || 1;
  const zero = (high / span) * canvas.height;
  const step = canvas.width / Math.max(values.length, 1);
  pen.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#3056d3";
  values.forEach((v, i) => {
    const h = (Math.abs(v) / span) * canvas.height;
    pen.fillRect(i * step, v >= 0 ? zero - h : zero, Math.max(step - (step > 3 ? 1 : 0), 1), Math.max(h, 1));
  });
  let note = layer.shown < layer.count ? `the first ${layer.shown} of ${layer.count} values` : `${layer.count} values`;
  if (classNames.length === values.length && values.length) {  // the output layer: one bar a class
    const best = values.indexOf(Math.max(...values));
    note = `one bar per class, ${classNames[0]} to ${classNames[values.length - 1]}; the highest: ${classNames[best]}`;
  }
  return el("figure", { class: "values" }, canvas,
    el("figcaption", { class: "muted small", "data-testid": "bars-caption",
      text: `${note}; ${fmtNumber(low)} to ${fmtNumber(high)}` }));
}

// ---------------------------------------------------------------------------- why this label

// The map (0..1 at the image's size) as a translucent heat layer over the model's input.
async function showSaliency(answer) {
  const seen = new Image();
  seen.src = answer.preprocessing.model_input_png;
  await seen.decode();
  const [h, w] = answer.size;
  const canvas = $("saliency");
  canvas.width = w;
  canvas.height = h;
  const pen = canvas.getContext("2d");
  pen.drawImage(seen, 0, 0, w, h);
  const base = pen.getImageData(0, 0, w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = answer.map[y][x];
      const i = 4 * (y * w + x);
      const [r, g, b] = heat(v);
      const a = 0.25 + 0.5 * v;  // the model's input stays visible under the heat
      base.data[i] = (1 - a) * base.data[i] + a * r;
      base.data[i + 1] = (1 - a) * base.data[i + 1] + a * g;
      base.data[i + 2] = (1 - a) * base.data[i + 2] + a * b;
    }
  }
  pen.putImageData(base, 0, 0);
  const how = answer.method.startsWith("grad-cam")
    ? `Grad-CAM on ${answer.layer}` : "input gradients (no convolution to look at)";
  $("saliency-caption").textContent =
    `Why "${answer.label}" (${(100 * answer.probability).toFixed(1)}%): ${how}; red counts most.`;
  $("saliency-card").dataset.method = answer.method;
}

function heat(v) {  // blue -> yellow -> red
  if (v < 0.5) return [510 * v, 510 * v, 255 * (1 - 2 * v)];
  return [255, 255 * (2 - 2 * v), 0];
}

// ---------------------------------------------------------------------------- filters

export async function showFilters(runId) {
  $("filters-card").hidden = true;
  let answer;
  try {
    answer = await api.get(`/api/runs/${runId}/filters`);
  } catch {
    return;  // the panel stays hidden; the prediction says what went wrong
  }
  if (!answer.layer) return;
  const [kh, kw] = answer.size;
  const scale = Math.max(4, Math.floor(36 / Math.max(kh, kw)));
  $("filters").replaceChildren(...answer.kernels.map((k, i) => kernel(k, kh, kw, scale, answer.mode, i)));
  $("filters-caption").textContent = `${answer.count} kernels of ${answer.layer.name}, ` +
    `${fmtShape(answer.layer.kernel_shape)}${answer.shown < answer.count ? `, the first ${answer.shown}` : ""}` +
    (answer.averaged_channels ? `, averaged over ${answer.averaged_channels} input channels` : "") +
    "; black is the most negative weight, white the most positive.";
  $("filters-card").hidden = false;
}

function kernel(pixels, kh, kw, scale, mode, i) {
  const canvas = el("canvas", { width: kw * scale, height: kh * scale, "data-testid": "filter",
    title: `filter ${i}` });
  const pen = canvas.getContext("2d");
  pixels.forEach((row, y) => row.forEach((p, x) => {
    const [r, g, b] = mode === "rgb" ? p : [p, p, p];
    pen.fillStyle = `rgb(${r}, ${g}, ${b})`;
    pen.fillRect(x * scale, y * scale, scale, scale);
  }));
  return canvas;
}
