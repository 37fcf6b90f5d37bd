// The tokens page: the list, the form and revoking are htmx's (app/web/account.py); this module
// copies a new token and empties the form once a token is made.
import { $, flash } from "./common.js";
import "./hx-flash.js";

const form = $("token-form");

form.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.successful) form.reset();
});

// The box with the token is swapped in later, so listen on the page.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = $(button.dataset.copy);
  try {
    await navigator.clipboard.writeText(source.textContent);
    button.textContent = "Copied";
  } catch {
    window.getSelection().selectAllChildren(source);
    flash("This browser did not let the page copy: the token is selected, copy it yourself.");
  }
});
