// The run page's Weights panel: each layer's kernel and bias histograms at one epoch, with an
// epoch slider (TensorBoard's histogram view, for a Sequential stack). One epoch is fetched
// at a time from GET /api/runs/{id}/weights and kept; the stream's epoch events carry no
// histograms (they go to every watcher), so a new epoch is a cue to refetch, debounced.

import { api, el, fmtInt } from "../common.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 300, HEIGHT = 110, AXIS = 18;  // the drawing's own units; CSS scales it
const REFETCH_MS = 400;  // a replayed stream sends every epoch at once: one fetch for them all
const SLIDER_REST_MS = 120;

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

// A short number for an axis: 3 significant digits, exponent past 1e4 or under 1e-3.
function short(x) {
  if (x === null) return "–";
  const size = Math.abs(x);
  return size !== 0 && (size >= 1e4 || size < 1e-3) ? x.toExponential(1) : String(Number(x.toPrecision(3)));
}

// One array's bins as bars from its min to its max, the range under them.
function histogram(weight) {
  const total = weight.counts.reduce((a, b) => a + b, 0);
  const tallest = Math.max(1, ...weight.counts);
  const bins = weight.counts.length;
  const step = WIDTH / bins;
  const plot = HEIGHT - AXIS;
  const drawing = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "weights-histogram", role: "img",
    "aria-label": `${weight.name}: ${fmtInt(total)} values from ${short(weight.min)} to ${short(weight.max)}`,
  });
  weight.counts.forEach((count, i) => {
    if (!count) return;
    const h = Math.max(1, (count / tallest) * (plot - 4));
    const bar = svg("rect", { class: "weights-bar", x: i * step + 0.5, y: plot - h, width: Math.max(1, step - 1), height: h });
    const from = weight.min + ((weight.max - weight.min) * i) / bins;
    const to = weight.min + ((weight.max - weight.min) * (i + 1)) / bins;
    bar.append(svg("title", {}, `${fmtInt(count)} in [${short(from)}, ${short(to)})`));
    drawing.append(bar);
  });
  drawing.append(
    svg("line", { class: "weights-axis", x1: 0, y1: plot + 0.5, x2: WIDTH, y2: plot + 0.5 }),
    svg("text", { class: "weights-tick", x: 0, y: HEIGHT - 4 }, short(weight.min)),
    svg("text", { class: "weights-tick", x: WIDTH, y: HEIGHT - 4, "text-anchor": "end" }, short(weight.max)),
  );
  const about = `${weight.name} ${weight.shape.join("×")} · ${fmtInt(total)} values` +
    (weight.nonfinite ? ` · ${fmtInt(weight.nonfinite)} not finite` : "");
  return el("figure", { class: "weights-figure", "data-testid": `weights-${weight.name}`, "data-total": total },
    drawing, el("figcaption", { class: "muted small", text: about }));
}

function layerCard(layer) {
  return el("div", { class: "weights-layer", "data-testid": "weights-layer", "data-layer": layer.name },
    el("h3", { text: `${layer.name} ` }, el("span", { class: "muted small", text: layer.type })),
    el("div", { class: "weights-arrays" }, layer.weights.map(histogram)));
}

export class WeightsPanel {
  constructor(runId, { panel, slider, label, layers, note }) {
    this.runId = runId;
    this.parts = { panel, slider, label, layers, note };
    this.epochs = [];        // the epochs recorded, from the latest answer
    this.cache = new Map();  // epoch -> answer: an epoch's histograms never change
    this.shown = null;       // the epoch on screen
    this.timer = null;
    this.loading = null;
    slider.addEventListener("input", () => this.show(this.epochs[Number(slider.value)]));
  }

  // A new epoch: refetch a moment later, taking in whatever else arrived by then (never
  // postponed again, so epochs faster than REFETCH_MS still show as the run goes).
  epochArrived() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh().catch(() => {});  // the next epoch tries again
    }, REFETCH_MS);
  }

  // The latest epoch and the list of epochs; the slider follows new epochs while it is at the
  // end, and stays where it is when someone has moved it back.
  async refresh() {
    const following = this.shown === null || this.shown === this.epochs[this.epochs.length - 1];
    const answer = await api.get(`/api/runs/${this.runId}/weights`);
    if (!answer.epochs.length) return;
    this.cache.set(answer.epoch, answer);
    this.epochs = answer.epochs;
    const { panel, slider } = this.parts;
    panel.hidden = false;
    slider.max = String(this.epochs.length - 1);
    slider.disabled = this.epochs.length < 2;
    await this.show(following ? answer.epoch : this.shown);
  }

  // The slider's epoch at once, its histograms when they are here: one already fetched is
  // drawn now; another is fetched once the slider rests (dragging across 500 epochs is
  // one request, not 500).
  show(epoch) {
    if (epoch === undefined) return Promise.resolve();
    this.shown = epoch;
    const { slider, label } = this.parts;
    slider.value = String(this.epochs.indexOf(epoch));
    label.textContent = `Epoch ${epoch} of ${this.epochs[this.epochs.length - 1]}`;
    clearTimeout(this.loading);
    if (this.cache.has(epoch)) {
      this.draw(this.cache.get(epoch));
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.loading = setTimeout(() => this.load(epoch).finally(resolve), SLIDER_REST_MS);
    });
  }

  async load(epoch) {
    const answer = await api.get(`/api/runs/${this.runId}/weights?epoch=${epoch}`);
    this.cache.set(epoch, answer);
    if (this.shown === epoch) this.draw(answer);  // not if the slider moved on meanwhile
  }

  draw(answer) {
    const { layers, note } = this.parts;
    layers.replaceChildren(...answer.layers.map(layerCard));
    layers.dataset.epoch = String(answer.epoch);
    note.textContent = answer.layers_left_out
      ? `${answer.layers_left_out} more layers with weights are not recorded (the first ${answer.layers.length} are).`
      : "";
  }
}
