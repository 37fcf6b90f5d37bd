// The account page: your display name and your password, through PATCH /api/me (the call a
// script would make). A refusal is shown in words next to the field it is about. A change
// names the profile version this page last saw (If-Match): if the profile was changed
// elsewhere since (another tab, an admin), the server answers 412 and the page asks.
import { $, api, flash } from "./common.js";

let version = Number($("name-form").dataset.version);
let overwrite = false;  // after a 412, the next save replaces what was saved elsewhere

const MIN_PASSWORD = 8;  // as the API's MeUpdate.new_password

function say(form, field, message) {
  const box = form.querySelector(`[data-problem-for="${field}"]`);
  box.textContent = message;
  box.hidden = !message;
  form.elements[field].setAttribute("aria-invalid", message ? "true" : "false");
}

function clear(form) {
  for (const box of form.querySelectorAll("[data-problem-for]")) say(form, box.dataset.problemFor, "");
  flash("");
}

// The API's problems by field (loc ["body", field]); what fits no field goes to the flash box.
function showRefusal(form, error) {
  const elsewhere = [];
  for (const problem of error.problems.length ? error.problems : [{ loc: [], msg: error.message }]) {
    const field = problem.loc[problem.loc.length - 1];
    if (form.querySelector(`[data-problem-for="${field}"]`)) say(form, field, problem.msg);
    else elsewhere.push(problem.msg);
  }
  if (elsewhere.length) flash(elsewhere.join("\n"));
}

async function patchMe(form, body) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const me = await api.request("PATCH", "/api/me", body,
      overwrite ? {} : { "If-Match": `"${version}"` });
    version = me.version;
    overwrite = false;
    return me;
  } catch (error) {
    if (error.status === 412) {
      overwrite = true;
      flash("Your profile was changed elsewhere (another tab, or an admin) since this page "
        + "loaded. Reload the page to see it, or press the button again to save yours over it.");
    } else {
      showRefusal(form, error);
    }
    return null;
  } finally {
    button.disabled = false;
  }
}

$("name-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clear(form);
  const me = await patchMe(form, { display_name: form.elements.display_name.value.trim() });
  if (!me) return;
  const header = document.querySelector("[data-testid=user-name]");
  if (header) header.textContent = me.display_name || me.email;
  flash(me.display_name ? `Saved: your name is “${me.display_name}”.` : "Saved: no name, so your email is shown.", "ok");
});

$("password-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clear(form);
  const { current_password: current, new_password: fresh, repeat_password: repeat } = form.elements;
  const problems = {
    current_password: current.value ? "" : "Type your current password: it proves it is you.",
    new_password: fresh.value.length >= MIN_PASSWORD ? ""
      : `At least ${MIN_PASSWORD} characters, please; this one has ${fresh.value.length}.`,
    repeat_password: !fresh.value || repeat.value === fresh.value ? ""
      : repeat.value ? "The two new passwords differ." : "Type the new password again, to be sure of it.",
  };
  for (const [field, message] of Object.entries(problems)) say(form, field, message);
  if (Object.values(problems).some(Boolean)) return;
  const me = await patchMe(form, { current_password: current.value, new_password: fresh.value });
  if (!me) return;
  form.reset();
  flash("Password changed. Your other browsers were signed out; this one stays signed in.", "ok");
});
