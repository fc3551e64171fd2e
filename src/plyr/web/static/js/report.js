// Report buttons ([data-report=TYPE][data-report-id=ID]) on track, artist, album and
// playlist pages and on comments: a dialog asks why (and optionally more), then POSTs
// /moderation/reports. Signed out ([data-signed-out]) → /login. Bound by delegation.
import { request, visit } from "./http.js";
import { say } from "./toast.js";

const REASONS = ["copyright", "abuse", "spam", "explicit", "other"];

/** The one report dialog, made on first use. */
function reportDialog() {
  let dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById("report-dialog"));
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "report-dialog";
  dialog.className = "report-dialog";
  dialog.setAttribute("aria-labelledby", "report-title");
  const options = REASONS.map((r) => `<option value="${r}">${r}</option>`).join("");
  dialog.innerHTML = `<form method="dialog" class="report-form">
    <h2 id="report-title">report</h2>
    <label for="report-reason">why</label>
    <select id="report-reason" name="reason" required>${options}</select>
    <label for="report-description">anything the reviewers should know (optional)</label>
    <textarea id="report-description" name="description" maxlength="1000" rows="4"></textarea>
    <div class="actions"><button type="submit" class="button" data-report-send>send report</button>
    <button type="button" class="button button-quiet" data-report-cancel>cancel</button></div>
  </form>`;
  document.body.append(dialog);
  return dialog;
}

function openReport(button) {
  if (button.hasAttribute("data-signed-out")) {
    return visit(`/login?return_to=${encodeURIComponent(location.pathname + location.search)}`);
  }
  const dialog = reportDialog();
  dialog.dataset.targetType = button.dataset.report;
  dialog.dataset.targetId = button.dataset.reportId;
  dialog.querySelector("form")?.reset();
  dialog.showModal();
}

async function sendReport(form) {
  const dialog = /** @type {HTMLDialogElement} */ (form.closest("dialog"));
  const fields = new FormData(form);
  const description = String(fields.get("description") || "").trim();
  try {
    await request("POST", "/moderation/reports", {
      target_type: dialog.dataset.targetType,
      target_id: dialog.dataset.targetId,
      reason: fields.get("reason"),
      ...(description ? { description } : {}),
    });
    dialog.close();
    say("thanks: the report is with the reviewers", "success");
  } catch (e) {
    say(e.message, "error");
  }
}

export function initReports() {
  document.addEventListener("click", (event) => {
    const target = /** @type {Element} */ (event.target);
    const button = target.closest?.("[data-report]");
    if (button instanceof HTMLElement) return openReport(button);
    if (target.closest?.("[data-report-cancel]")) {
      /** @type {HTMLDialogElement | null} */ (target.closest("dialog"))?.close();
    }
  });
  document.addEventListener("submit", (event) => {
    const form = /** @type {Element} */ (event.target);
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("report-form")) return;
    event.preventDefault();
    sendReport(form);
  });
}
