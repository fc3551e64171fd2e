// The portal's "your data": export my tracks (a job, followed over SSE, then the download)
// and delete my account (confirmed by typing the handle).
import { detail } from "./http.js";
import { say } from "./toast.js";

async function startExport(button) {
  button.disabled = true;
  const response = await fetch("/exports/", { method: "POST", credentials: "same-origin" });
  if (!response.ok) {
    button.disabled = false;
    return say(await detail(response), "error");
  }
  const { job_id: id } = await response.json();
  const box = document.getElementById("export-progress");
  box.hidden = false;
  const events = new EventSource(`/tracks/uploads/${id}/progress`);
  events.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    document.getElementById("export-bar").style.width = `${job.progress_pct}%`;
    document.getElementById("export-status").textContent = job.message || job.phase;
    if (job.status === "completed") {
      events.close();
      button.disabled = false;
      location.href = `/exports/${id}/download`;
    } else if (job.status === "failed") {
      events.close();
      button.disabled = false;
      say(job.error || "the export failed", "error");
    }
  });
}

async function deleteAccount(form) {
  const body = {
    confirmation: form.elements.confirmation.value,
    delete_atproto_records: form.elements.delete_atproto_records.checked,
  };
  const response = await fetch("/account", {
    method: "DELETE",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status === 204) location.href = "/";
  else say(await detail(response), "error");
}

export function initData() {
  document.addEventListener("click", (event) => {
    const button = /** @type {Element} */ (event.target).closest("[data-export]");
    if (button) startExport(button);
  });
  document.addEventListener("submit", (event) => {
    const form = /** @type {HTMLFormElement} */ (event.target);
    if (!form.matches("[data-delete-account]")) return;
    event.preventDefault();
    deleteAccount(form);
  });
}
