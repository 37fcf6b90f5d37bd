// The predict page's drawing canvas: white strokes on black with the mouse, a finger or a
// pen; `onRest` is called once the pen has rested `restMs` after a stroke (what the "Inside
// the model" panel follows).

export class Drawing {
  constructor(canvas, { onRest, restMs = 250 } = {}) {
    this.canvas = canvas;
    this.pen = canvas.getContext("2d");
    this.onRest = onRest;
    this.restMs = restMs;
    this.drawn = false;
    this.timer = null;
    let last = null;
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      last = this.point(e);
      this.stroke(last, last);  // a tap leaves a dot
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!last) return;
      const next = this.point(e);
      this.stroke(last, next);
      last = next;
    });
    for (const end of ["pointerup", "pointercancel"]) canvas.addEventListener(end, () => { last = null; });
    this.clear();
  }

  // Strokes about 1.5 model pixels wide, like the training digits' pen.
  setBrush(side) {
    this.pen.lineWidth = Math.max(18, Math.min(48, (this.canvas.width / (side || 28)) * 1.5));
  }

  clear() {
    this.pen.fillStyle = "#000";
    this.pen.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawn = false;
    clearTimeout(this.timer);
  }

  toBlob(then) {
    this.canvas.toBlob(then, "image/png");
  }

  // Pointer position in canvas pixels: the canvas is shown smaller than 280 px on a phone.
  point(e) {
    const box = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - box.left) * this.canvas.width) / box.width;
    const y = ((e.clientY - box.top) * this.canvas.height) / box.height;
    return [x, y];
  }

  stroke(from, to) {
    const pen = this.pen;
    pen.strokeStyle = "#fff";
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pen.beginPath();
    pen.moveTo(...from);
    pen.lineTo(...to);
    pen.stroke();
    this.drawn = true;
    clearTimeout(this.timer);
    if (this.onRest) this.timer = setTimeout(this.onRest, this.restMs);
  }
}
