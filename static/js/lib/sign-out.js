// The header's "Sign out" (accounts mode, templates/base.html): end this browser's session with
// the DELETE /api/session a script would send, then go to the sign-in page. common.js loads
// this on every page; a page without the button (AUTH=none, the sign-in page) is left alone.
import { api } from "./api.js";
import { flash } from "./dom.js";

const button = document.querySelector("[data-sign-out]");

button?.addEventListener("click", async () => {
  button.disabled = true;
  try {
    await api.del("/api/session");
    window.location.assign("/sign-in");
  } catch (error) {
    flash(error.message);
    button.disabled = false;
  }
});
