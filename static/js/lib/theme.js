// Light or dark, on every page (common.js brings it, as it brings sign-out.js). Without a
// choice the page follows the system's prefers-color-scheme through CSS alone (app.css); the
// header's toggle records a choice in localStorage and sets data-theme on <html>, which
// app.css prefers. A remembered choice is already set before the first paint by
// static/js/theme-early.js (a classic script in <head>: a module runs only after parsing,
// and a dark page would flash light first). A module, not an inline script: the
// Content-Security-Policy refuses inline code.
// Every change of theme is a "themechange" event on window ({detail: {theme}}): charts drawn
// on a canvas (uPlot), out of CSS's reach, draw themselves again in the new colours.

const KEY = "layerstack-theme";
const root = document.documentElement;
const system = window.matchMedia("(prefers-color-scheme: dark)");

function stored() {
  try {
    const value = localStorage.getItem(KEY);
    return value === "dark" || value === "light" ? value : null;
  } catch {
    return null;  // storage off (private mode, a strict setting): follow the system
  }
}

const current = () => stored() || (system.matches ? "dark" : "light");

function announce() {
  window.dispatchEvent(new CustomEvent("themechange", { detail: { theme: current() } }));
}

function show(button) {
  const dark = current() === "dark";
  button.setAttribute("aria-pressed", String(dark));
  button.textContent = dark ? "Light mode" : "Dark mode";
  button.title = stored() ? "Your choice, remembered on this device" : "Following the system's setting";
}

function apply() {
  const choice = stored();
  if (choice) root.dataset.theme = choice;
  else delete root.dataset.theme;
}

apply();
// Modules run after parsing, so the button is there.
const button = document.getElementById("theme-toggle");
if (button) {
  show(button);
  button.addEventListener("click", () => {
    const next = current() === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // Not remembered, but still applied to this page.
    }
    root.dataset.theme = next;
    show(button);
    announce();
  });
  system.addEventListener("change", () => show(button));
}
// The system's scheme changed: the page follows it unless a choice was made.
system.addEventListener("change", () => {
  if (!stored()) announce();
});
