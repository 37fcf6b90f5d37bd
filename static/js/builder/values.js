// Argument values as the forms show and read them: "3,3" <-> [3, 3], "28x28x1", "None".

import { isObject } from "./state.js";

// "3", "3,3", "(28, 28, 1)", "28x28x1" -> its parts; an "x" counts only between two numbers.
export function splitDims(text) {
  return text.replace(/[()[\]]/g, " ")
    .replace(/(\d)\s*[x×]\s*(?=\d)/g, "$1,")
    .split(/[\s,]+/)
    .filter(Boolean);
}

// Numbers, or null when something is not a number.
export function parseNumbers(text) {
  const parts = splitDims(text);
  const nums = parts.map(Number);
  return parts.length && nums.every(Number.isFinite) ? nums : null;
}

export function formatValue(value) {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.join(",");
  if (isObject(value)) return JSON.stringify(value);
  return String(value);
}

export function parseInputShape(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const dims = splitDims(trimmed).map((p) => (/^(none|null)$/i.test(p) ? null : Number(p)));
  // Not numbers: send the text as typed, so the server says what it expected next to the field.
  return dims.every((d) => d === null || Number.isInteger(d)) ? dims : trimmed;
}
