// What the run page says beside the settings: the automatic changes Layerstack made between
// the dataset and the model (GET /api/runs/{id} `automatic_changes`), and, after training, a
// run that learned little with its likely causes (`diagnosis`; also a run that ended early
// with enough epochs to judge).

import { $, el } from "../common.js";

export function showChanges(info) {
  const changes = info.automatic_changes || [];
  $("automatic-changes").replaceChildren(...(changes.length
    ? changes.map((c) => el("li", { "data-kind": c.kind, "data-testid": "automatic-change", text: c.text }))
    : [el("li", { class: "muted", text: "None: the samples and labels went in as the dataset stores them." })]));
  $("run-changes").hidden = false;
}

export function showDiagnosis(info) {
  const d = info.diagnosis;
  const box = $("run-diagnosis");
  box.hidden = !d;
  if (!d) return;
  // An inline stack has no saved architecture to open (and replaceChildren writes null as text).
  const builder = info.architecture_id
    ? el("p", {}, el("a", { href: `/builder?architecture=${info.architecture_id}`, text: "Open its architecture in the builder" }))
    : "";
  box.replaceChildren(
    // A run that ended early is judged on the epochs it had (app/runs/diagnosis.py).
    el("strong", { text: info.status === "completed" ? "This run learned little. "
      : `In its ${info.history.length} epochs, this run learned little. ` }),
    el("span", { text: d.findings.join(" ") }),
    el("p", { text: "Likely causes, from its own settings:" }),
    el("ul", {}, ...d.causes.map((c) => el("li", { "data-kind": c.kind, text: c.text }))),
    builder,
  );
}
