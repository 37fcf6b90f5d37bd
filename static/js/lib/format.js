// Numbers, shapes and sizes as the pages print them.

export function fmtInt(n) {
  return Number(n).toLocaleString("en-US");
}

export function fmtShape(shape) {
  return shape ? `(${shape.map((d) => (d === null ? "None" : d)).join(", ")})` : "?";
}

// As Keras prints a model's size: 1 KB = 1024 bytes, two decimals.
export function fmtBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(2)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
