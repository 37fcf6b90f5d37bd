// The sign-in page: POST /api/session (the same call a script makes), then on to `next`.
import { $, api, flash } from "./common.js";

const form = $("sign-in-form");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  flash("");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api.post("/api/session", { email: $("email").value, password: $("password").value });
    window.location.assign(form.dataset.next || "/");
  } catch (error) {
    flash(error.message);
    $("password").select();
  } finally {
    button.disabled = false;
  }
});
