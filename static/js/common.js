// What every page module shares: the JSON API client, the flash box, element helpers and
// formats. Importing this module also shows any unhandled promise rejection in the flash box,
// once per page however many modules import it.

import { flash } from "./lib/dom.js";
import "./lib/sign-out.js";  // the header's Sign out button, on every page that has one
import "./lib/theme.js";  // the header's light/dark toggle, on every page

export { api, ApiError, safeJson } from "./lib/api.js";
export { $, el, fillSelect, flash } from "./lib/dom.js";
export { fmtBytes, fmtInt, fmtShape } from "./lib/format.js";

// Chart series colours, in order: the runs list and the run page draw with the same ones.
export const COLORS = ["#3056d3", "#d9730d", "#067647", "#b42318", "#7a5af8", "#0e9384", "#c11574", "#475467"];

window.addEventListener("unhandledrejection", (event) => {
  const error = event.reason;
  flash(error && error.message ? error.message : String(error));
});
