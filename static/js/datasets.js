// The datasets page's upload form, sent with XMLHttpRequest (fetch cannot report upload
// progress) so that a large zip or IDX file shows how far it has got. The list beside it is
// the server's: after an upload htmx fetches it again, with the new row highlighted.
// The tutorial datasets card (#catalog) is htmx's: it polls itself while one is being added;
// when an entry turns from adding to present, the list is fetched again with its row lit.
import { $, ApiError, el, fmtBytes, fmtInt, fmtShape, safeJson } from "./common.js";
import "./hx-flash.js";

const form = $("upload-form");

function setProgress(percent, text) {
  const bar = $("upload-progress");
  bar.hidden = false;
  bar.firstElementChild.style.width = `${percent}%`;
  bar.setAttribute("aria-valuenow", String(Math.round(percent)));
  $("upload-status").textContent = text;
}

// Only the fields a person filled in: an empty test_fraction would be a 422, not a default.
function formBody() {
  const body = new FormData();
  for (const [key, value] of new FormData(form)) {
    if (value instanceof File ? value.size > 0 || value.name : value.trim() !== "") body.append(key, value);
  }
  return body;
}

// Resolves with the imported dataset, or rejects with an ApiError, as api.post would.
function send(body) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/datasets");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) {
        setProgress((100 * e.loaded) / e.total, `Uploading… ${fmtBytes(e.loaded)} of ${fmtBytes(e.total)}`);
      }
    };
    // Upload done; the server still has to unpack and check every file.
    xhr.upload.onload = () => setProgress(100, "Uploaded; importing and checking the files…");
    xhr.onload = () => {
      const data = xhr.responseText ? safeJson(xhr.responseText) : null;
      if (xhr.status >= 200 && xhr.status < 300 && data) resolve(data);
      else reject(ApiError.from(xhr.status, data, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, "The upload did not reach the server. Is it running?", []));
    xhr.send(body);
  });
}

function showImported(d) {
  const skipped = d.skipped || [];
  const more = (d.notes && d.notes.skipped_not_listed) || 0;
  // replaceChildren writes a null as the text "null": leave the missing warning out.
  $("upload-result").replaceChildren(...[
    el("div", { class: "success", "data-testid": "upload-success" },
      `Imported “${d.name}”: ${d.class_names.length} classes, ${fmtInt(d.num_train)} train / `,
      `${fmtInt(d.num_test)} test samples of shape ${fmtShape(d.input_shape)}. `,
      el("a", { href: `/datasets/${d.id}`, text: "Open it" })),
    skipped.length ? el("div", { class: "warning", "data-testid": "upload-skipped" },
      `Skipped ${skipped.length + more} file${skipped.length + more === 1 ? "" : "s"}:`,
      el("ul", {}, skipped.map((s) => el("li", { text: `${s.entry}: ${s.reason}` })),
        more ? el("li", { text: `and ${more} more` }) : null)) : null,
  ].filter(Boolean));
}

// A problem about one form field goes under that field; the rest under the button.
function showProblems(problems) {
  form.querySelectorAll(".problem").forEach((node) => node.remove());
  const general = [];
  for (const problem of problems) {
    const loc = problem.loc || [];
    const field = loc[0] === "body" && typeof loc[1] === "string" ? $(loc[1]) : null;
    if (field) field.after(el("div", { class: "problem", text: problem.msg }));
    else general.push(problem);
  }
  $("upload-result").replaceChildren(...general.map((p) =>
    el("div", { class: "problem", "data-testid": "upload-error", text: p.msg })));
  const details = form.querySelector("details");
  if (problems.some((p) => p.loc && details.contains($(p.loc[1])))) details.open = true;
}

function checkForm() {
  const problems = [];
  if (!$("name").value.trim()) problems.push({ loc: ["body", "name"], msg: "Give the dataset a name." });
  if (!$("files").files.length) problems.push({ loc: ["body", "files"], msg: "Choose at least one file." });
  return problems;
}

async function upload(event) {
  event.preventDefault();
  const problems = checkForm();
  showProblems(problems);
  if (problems.length) return;
  $("upload-button").disabled = true;
  setProgress(0, "Starting the upload…");
  try {
    const dataset = await send(formBody());
    setProgress(100, "Done.");
    showImported(dataset);
    form.reset();
    await window.htmx.ajax("GET", `/datasets?highlight=${dataset.id}`, { target: "#dataset-list" });
  } catch (error) {
    $("upload-status").textContent = "The upload was refused.";
    showProblems(error.problems && error.problems.length ? error.problems : [{ msg: error.message }]);
  } finally {
    $("upload-button").disabled = false;
  }
}

form.addEventListener("submit", upload);

// Which catalog entries were being added before htmx swapped the card.
let adding = new Set();
function addingNow() {
  return new Set([...document.querySelectorAll('#catalog li[data-state="adding"]')].map((li) => li.dataset.name));
}
adding = addingNow();
// Any swap will do (an outerHTML swap's event target is the card it replaced).
document.body.addEventListener("htmx:afterSettle", () => {
  const done = [...adding].map((name) => document.querySelector(`#catalog li[data-name="${name}"]`))
    .filter((li) => li && li.dataset.state === "present");
  adding = addingNow();
  if (done.length) {
    window.htmx.ajax("GET", `/datasets?highlight=${done[0].dataset.datasetId}`, { target: "#dataset-list" });
  }
});
