// A remembered light/dark choice, set on <html> before the first paint: a classic script in
// <head> (base.html), so it runs while the page is parsed; lib/theme.js (a module, with the
// header's toggle) runs only afterwards, and a dark page would flash light until then. It
// declares nothing global. Same key and values as lib/theme.js.
(function () {
  try {
    var choice = localStorage.getItem("layerstack-theme");
    if (choice === "dark" || choice === "light") document.documentElement.dataset.theme = choice;
  } catch (error) {
    // Storage off: the page follows the system's setting through CSS.
  }
})();
