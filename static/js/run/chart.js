// A live uPlot line chart for the run page (uPlot is the vendored classic script's global).

import { COLORS } from "../common.js";

const CHART_HEIGHT = 240;

// uPlot draws its axes on a canvas, out of reach of CSS: they take the theme's colours
// (app.css custom properties) when a chart is made.
export function axes(epochSteps) {
  const css = getComputedStyle(document.documentElement);
  const stroke = css.getPropertyValue("--muted").trim() || "#5b6475";
  const line = { stroke: css.getPropertyValue("--line").trim() || "#dfe3ea", width: 1 };
  return [
    { label: "epoch", incrs: epochSteps, stroke, grid: line, ticks: line },
    { size: 56, stroke, grid: line, ticks: line },
  ];
}
const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];  // whole epochs only

// Created on the first data and rebuilt only when its series change; new epochs go through
// setData, which is cheap.
export class LiveChart {
  constructor(container) {
    this.container = container;
    this.plot = null;
    this.keys = [];
    new ResizeObserver(() => this.fit()).observe(container);
  }

  show(keys, rows) {
    const data = [rows.map((r) => r.epoch), ...keys.map((k) => rows.map((r) => r[k] ?? null))];
    if (rows.length && (!this.plot || keys.join() !== this.keys.join())) {
      this.create(keys, data);
    } else if (this.plot) {
      this.plot.setData(data);
    }
    // Tests (and people with devtools) read how many points are plotted.
    this.container.dataset.points = String(rows.length);
  }

  create(keys, data) {
    if (this.plot) this.plot.destroy();
    this.keys = keys;
    const series = keys.map((key, i) => ({
      label: key,
      stroke: COLORS[i % COLORS.length],
      dash: key.startsWith("val_") ? [6, 4] : undefined,  // validation: dashed, for print too
      width: 2,
      points: { show: data[0].length < 60 },
      spanGaps: true,
    }));
    const options = {
      width: this.width(),
      height: CHART_HEIGHT,
      scales: { x: { time: false } },
      series: [{ label: "epoch" }, ...series],
      axes: axes(EPOCH_STEPS),
    };
    this.plot = new window.uPlot(options, data, this.container);
  }

  width() {
    return Math.max(200, this.container.clientWidth);
  }

  fit() {
    if (this.plot) this.plot.setSize({ width: this.width(), height: CHART_HEIGHT });
  }
}
