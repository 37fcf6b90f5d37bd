// What htmx could not do, in words, in the flash box: the server's own `detail` when it sent
// one (a 404, a 409 "in use"), else the status. Every page that loads htmx imports this.
import { ApiError, flash, safeJson } from "./common.js";

document.body.addEventListener("htmx:beforeRequest", () => flash(""));  // an old error is over
document.body.addEventListener("htmx:responseError", (event) => {
  const { status, responseText } = event.detail.xhr;
  flash(ApiError.from(status, responseText ? safeJson(responseText) : null, responseText).message);
});
document.body.addEventListener("htmx:sendError", () => {
  flash("The server cannot be reached. Is it running?");
});
