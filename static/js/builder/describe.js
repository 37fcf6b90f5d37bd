// One undo step in words, from the stack before and after it (each as history.js keeps it:
// the JSON of payload.js's draftOf): "removed Dense (layer 3)", "changed units of Dense
// (layer 2)", "moved Flatten to layer 1", "changed the input shape to 28,28,1". Undo and redo
// announce it to screen readers.

const named = (layer, i) => `${layer.type} (layer ${i + 1})`;
const text = (value) => JSON.stringify(value ?? null);

// The first place where two lists of layers differ.
function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && text(a[i]) === text(b[i])) i += 1;
  return i;
}

function changedKeys(a, b) {
  const keys = new Set([...Object.keys(a || {}), ...Object.keys(b || {})]);
  return [...keys].filter((k) => text(a && a[k]) !== text(b && b[k]));
}

// `longer` is `shorter` with one layer more: its place, else -1.
function oneMore(shorter, longer) {
  if (longer.length !== shorter.length + 1) return -1;
  const i = firstDifference(shorter, longer);
  return text(shorter) === text([...longer.slice(0, i), ...longer.slice(i + 1)]) ? i : -1;
}

function layerStep(a, b) {
  const added = oneMore(a, b);
  if (added >= 0) return `added ${named(b[added], added)}`;
  const removed = oneMore(b, a);
  if (removed >= 0) return `removed ${named(a[removed], removed)}`;
  if (a.length !== b.length) return `replaced the stack (${b.length} layers)`;
  const differ = a.map((_, i) => i).filter((i) => text(a[i]) !== text(b[i]));
  if (!differ.length) return null;
  if (differ.length === 1) {
    const i = differ[0];
    if (a[i].type !== b[i].type) return `replaced ${named(a[i], i)} by ${b[i].type}`;
    const keys = changedKeys(a[i].args, b[i].args);
    if (text(a[i].name) !== text(b[i].name)) keys.push("name");
    return `changed ${keys.join(", ")} of ${named(b[i], i)}`;
  }
  // One layer moved: the layers between its old and new place shift by one.
  const lo = differ[0];
  const hi = differ[differ.length - 1];
  const same = (x, y) => text(x) === text(y);
  // Two neighbours swapped read either way: as the lower one moved up.
  if (same(a[hi], b[lo])) return `moved ${a[hi].type} to layer ${lo + 1}`;
  if (same(a[lo], b[hi])) return `moved ${a[lo].type} to layer ${hi + 1}`;
  return `changed ${differ.length} layers`;
}

export function describeStep(beforeJson, afterJson) {
  const a = JSON.parse(beforeJson);
  const b = JSON.parse(afterJson);
  const parts = [];
  if (a.name !== b.name) parts.push(`renamed the stack to “${b.name}”`);
  if (a.inputShapeText !== b.inputShapeText) {
    parts.push(b.inputShapeText ? `changed the input shape to ${b.inputShapeText}` : "cleared the input shape");
  }
  const layers = layerStep(a.layers || [], b.layers || []);
  if (layers) parts.push(layers);
  const compile = changedKeys(a.compile, b.compile);
  if (compile.length) parts.push(`changed the ${compile.join(", ")} in Compile`);
  if (text(a.datasetId) !== text(b.datasetId)) parts.push("changed the dataset checked against");
  return parts.join("; ") || "a change";
}
