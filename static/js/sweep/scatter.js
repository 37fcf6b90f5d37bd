// Setting vs best value: one small SVG panel per setting varied. The x axis has the
// setting's values in the grid's order, evenly spaced (numbers and names alike); the y axis
// is the ranking metric. Drawn with SVG elements and CSS classes: the CSP refuses style="".

import { el } from "../common.js";
import { fmtValue, settingLabel } from "./table.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 280, H = 190, LEFT = 48, RIGHT = 12, TOP = 12, BOTTOM = 34;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function text(x, y, content, cls) {
  const node = svg("text", { x, y, class: cls });
  node.textContent = content;
  return node;
}

function panel(path, values, sweep, scaleY) {
  const step = (W - LEFT - RIGHT) / Math.max(values.length, 1);
  const xOf = (value) => LEFT + step * (values.findIndex((v) => JSON.stringify(v) === JSON.stringify(value)) + 0.5);
  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "scatter-panel", role: "img",
    "aria-label": `${sweep.metric} by ${path}`, "data-testid": `scatter-${path}` });
  plot.append(svg("line", { x1: LEFT, y1: H - BOTTOM, x2: W - RIGHT, y2: H - BOTTOM, class: "axis" }),
    svg("line", { x1: LEFT, y1: TOP, x2: LEFT, y2: H - BOTTOM, class: "axis" }));
  values.forEach((value) => plot.append(text(xOf(value), H - BOTTOM + 14, fmtValue(value), "tick x")));
  for (const y of scaleY.ticks) plot.append(text(LEFT - 4, scaleY.at(y) + 4, fmtValue(y), "tick y"));
  plot.append(text((LEFT + W - RIGHT) / 2, H - 4, settingLabel(path), "axis-label"));
  const ranked = sweep.runs.filter((run) => run.best !== null);
  ranked.forEach((run, i) => {
    // Runs with the same value sit side by side, not on top of each other.
    const jitter = ((i % 5) - 2) * 3;
    const settings = Object.entries(run.params).map(([p, v]) => `${settingLabel(p)}=${fmtValue(v)}`).join(", ");
    const dot = svg("circle", { cx: xOf(run.params[path]) + jitter, cy: scaleY.at(run.best), r: 5,
      class: run.id === sweep.best_run_id ? "dot best" : "dot", "data-run": run.id },
    svg("title", {}, `run #${run.id} (rank ${run.rank}): ${settings} → ${sweep.metric} ${fmtValue(run.best)}`));
    plot.append(dot);
  });
  return plot;
}

function yScale(values) {
  let low = Math.min(...values), high = Math.max(...values);
  if (low === high) { low -= 0.5 * (Math.abs(low) || 1); high += 0.5 * (Math.abs(high) || 1); }
  const pad = (high - low) * 0.08;
  low -= pad; high += pad;
  const at = (v) => TOP + (H - TOP - BOTTOM) * (1 - (v - low) / (high - low));
  return { at, ticks: [low + pad, (low + high) / 2, high - pad] };
}

export function drawScatter(container, sweep) {
  const values = sweep.runs.map((run) => run.best).filter((v) => v !== null);
  if (!values.length) {
    container.replaceChildren(el("p", { class: "muted small", text: "No run has finished an epoch yet." }));
    container.dataset.points = "0";
    return;
  }
  const scaleY = yScale(values);
  container.replaceChildren(...Object.entries(sweep.grid).map(([path, options]) =>
    el("figure", {}, panel(path, options, sweep, scaleY))));
  container.dataset.points = String(values.length);
}
