// A live uPlot line chart for the run page (uPlot is the vendored classic script's global).
// Inside an epoch, the loss chart also draws the running loss (the `progress` events' mean
// over the epoch's batches so far) as a lighter dashed trail from the last finished epoch;
// the epoch's own point replaces it when the epoch ends.

import { COLORS } from "../common.js";

const CHART_HEIGHT = 240;

// uPlot draws its axes on a canvas, out of reach of CSS: they take the theme's colours
// (app.css custom properties) when a chart is made, and charts are made again when the
// theme changes (lib/theme.js's "themechange" event).
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
const TRAIL_ALPHA = "b3";  // the trail's colour: its series' colour, lighter (#rrggbbaa)

// Created on the first data and rebuilt only when its series change (or the theme does); new
// epochs and running points go through setData, which is cheap. `trailKey`: the key whose
// running value inside an epoch is drawn as a trail (the loss chart's "loss").
export class LiveChart {
  constructor(container, { trailKey = null } = {}) {
    this.container = container;
    this.trailKey = trailKey;
    this.plot = null;
    this.keys = [];
    this.rows = [];
    this.trail = [];  // [x, value]: x is epochs done plus the current epoch's share
    new ResizeObserver(() => this.fit()).observe(container);
    window.addEventListener("themechange", () => {
      if (this.plot) this.create(this.keys, this.data());
    });
  }

  show(keys, rows) {
    this.rows = rows;
    const last = this.lastEpoch();
    this.trail = this.trail.filter(([x]) => x > last);  // a finished epoch replaces its trail
    this.draw(keys);
    // Tests (and people with devtools) read how many points are plotted.
    this.container.dataset.points = String(rows.length);
  }

  // A running value inside epoch `epoch` (1-based) at `share` of its batches.
  addRunning(epoch, share, value) {
    if (!this.trailKey || typeof value !== "number" || !Number.isFinite(value)) return;
    const x = epoch - 1 + share;
    if (x <= this.lastEpoch()) return;  // an epoch already finished: its point is drawn
    this.trail = [...this.trail.filter(([seen]) => seen < x), [x, value]];
    this.draw(this.keys);
  }

  clearRunning() {
    if (!this.trail.length) return;
    this.trail = [];
    this.draw(this.keys);
  }

  lastEpoch() {
    return this.rows.length ? this.rows[this.rows.length - 1].epoch : 0;
  }

  // One shared x axis: the epochs, then the trail's fractional places. The epoch series have
  // gaps at the trail's places; the trail starts at the last epoch's value of its key.
  data() {
    const xs = [...this.rows.map((r) => r.epoch), ...this.trail.map(([x]) => x)];
    const pad = this.trail.map(() => null);
    const columns = this.keys.map((k) => [...this.rows.map((r) => r[k] ?? null), ...pad]);
    const data = [xs, ...columns];
    if (this.trail.length) {
      const anchor = this.rows.map(() => null);
      if (this.rows.length) anchor[anchor.length - 1] = this.rows[this.rows.length - 1][this.trailKey] ?? null;
      data.push([...anchor, ...this.trail.map(([, value]) => value)]);
    }
    return data;
  }

  draw(keys) {
    const withTrail = this.trail.length > 0;
    const drawn = this.plot && keys.join() === this.keys.join() && withTrail === this.plotted;
    this.keys = keys;
    if (!this.rows.length && !withTrail) {
      if (this.plot) this.plot.setData(this.data());
    } else if (drawn) {
      this.plot.setData(this.data());
    } else {
      this.create(keys, this.data());
    }
    this.container.dataset.trail = String(this.trail.length);
  }

  create(keys, data) {
    if (this.plot) this.plot.destroy();
    this.keys = keys;
    const series = keys.map((key, i) => ({
      label: key,
      stroke: COLORS[i % COLORS.length],
      dash: key.startsWith("val_") ? [6, 4] : undefined,  // validation: dashed, for print too
      width: 2,
      points: { show: this.rows.length < 60 },
      spanGaps: true,
    }));
    this.plotted = data.length > keys.length + 1;
    if (this.plotted) {
      const at = Math.max(0, keys.indexOf(this.trailKey));
      series.push({
        label: `${this.trailKey} (this epoch, so far)`,
        stroke: `${COLORS[at % COLORS.length]}${TRAIL_ALPHA}`,
        dash: [5, 4],
        width: 2,
        points: { show: true, size: 5 },
        spanGaps: true,
      });
    }
    const chartAxes = axes(EPOCH_STEPS);
    const options = {
      width: this.width(),
      height: CHART_HEIGHT,
      scales: { x: { time: false } },
      series: [{ label: "epoch" }, ...series],
      axes: chartAxes,
    };
    this.plot = new window.uPlot(options, data, this.container);
    // The axes' colour as drawn: tests check that a theme change draws them again.
    this.container.dataset.axisStroke = chartAxes[0].stroke;
  }

  width() {
    return Math.max(200, this.container.clientWidth);
  }

  fit() {
    if (this.plot) this.plot.setSize({ width: this.width(), height: CHART_HEIGHT });
  }
}
