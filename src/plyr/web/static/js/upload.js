// The upload form: drag-and-drop, the title from the file's tags, artwork preview, tag
// suggestions, the transfer's progress (XHR), then the server's phases (SSE). On failure
// the form keeps every value and says what went wrong.
import { readTitle, titleFromName } from "./tags.js";

const $ = (id) => document.getElementById(id);
const say = (message, kind = "info") =>
  document.dispatchEvent(new CustomEvent("plyr:toast", { detail: { message, kind } }));

let autoTitle = "";
let suggestTimer = 0;

export function initUpload() {
  document.addEventListener("change", (event) => {
    if (event.target.id === "upload-file") chosen(event.target.files[0]);
    else if (event.target.id === "upload-image") preview(event.target.files[0]);
  });
  document.addEventListener("dragover", (event) => {
    const zone = event.target.closest?.("#drop-zone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("drop-over");
  });
  document.addEventListener("dragleave", (event) => event.target.closest?.("#drop-zone")?.classList.remove("drop-over"));
  document.addEventListener("drop", (event) => {
    const zone = event.target.closest?.("#drop-zone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("drop-over");
    const file = event.dataTransfer.files[0];
    if (!file) return;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    $("upload-file").files = transfer.files;
    chosen(file);
  });
  document.addEventListener("input", (event) => {
    if (event.target.id === "upload-tags") {
      clearTimeout(suggestTimer);
      suggestTimer = setTimeout(() => suggestTags(event.target), 150);
    }
  });
  document.addEventListener("submit", (event) => {
    if (event.target.id !== "upload-form") return;
    event.preventDefault();
    submit(event.target);
  });
}

async function chosen(file) {
  showError("");
  if (!file) return;
  const form = $("upload-form");
  $("upload-file-name").textContent = `${file.name} · ${(file.size / 1048576).toFixed(1)} MB`;
  if (file.size > Number(form.dataset.maxBytes)) {
    showError(`this file is ${(file.size / 1048576).toFixed(0)} MB; the limit is ${(Number(form.dataset.maxBytes) / 1048576).toFixed(0)} MB`);
  }
  const title = $("upload-title");
  if (!title.value || title.value === autoTitle) {
    autoTitle = (await readTitle(file)) || titleFromName(file.name);
    title.value = autoTitle;
  }
}

function preview(file) {
  const img = $("upload-image-preview");
  if (!img) return;
  if (img.src) URL.revokeObjectURL(img.src);
  if (file) {
    img.src = URL.createObjectURL(file);
    img.hidden = false;
  } else {
    img.removeAttribute("src");
    img.hidden = true;
  }
}

/** Suggest tags for the word being typed (after the last comma). */
export async function suggestTags(input) {
  const list = document.getElementById(input.getAttribute("list"));
  const parts = input.value.split(",");
  const prefix = parts.pop().trim().toLowerCase();
  if (!list || prefix.length < 1) return;
  try {
    const response = await fetch(`/tracks/tags?q=${encodeURIComponent(prefix)}&limit=8`);
    if (!response.ok) return;
    const before = parts.map((p) => p.trim()).filter(Boolean);
    const head = before.length ? `${before.join(", ")}, ` : "";
    list.replaceChildren(
      ...(await response.json()).map((tag) => Object.assign(document.createElement("option"), { value: head + tag.name })),
    );
  } catch {
    /* suggestions are a nicety */
  }
}

export function tagList(text) {
  return [...new Set(text.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

function showError(message) {
  const box = $("upload-error");
  if (!box) return;
  box.textContent = message;
  box.hidden = !message;
}

function setBusy(form, busy) {
  for (const el of form.elements) el.disabled = busy;
  $("upload-progress").hidden = !busy && !$("upload-progress-bar").style.width;
}

function progress(pct, text) {
  $("upload-progress").hidden = false;
  $("upload-progress-bar").style.width = `${Math.max(0, Math.min(100, pct))}%`;
  $("upload-status").textContent = text;
}

function submit(form) {
  const file = $("upload-file").files[0];
  if (!file) return showError("choose an audio file first");
  if (!$("upload-title").value.trim()) return showError("give the track a title");
  showError("");
  const data = new FormData();
  data.append("file", file);
  data.append("title", $("upload-title").value.trim());
  for (const name of ["album", "description", "visibility"]) {
    const value = form.elements[name].value.trim();
    if (value) data.append(name, value);
  }
  const tags = tagList($("upload-tags").value);
  if (tags.length) data.append("tags", JSON.stringify(tags));
  const image = $("upload-image").files[0];
  if (image) data.append("image", image);
  if (form.elements.audio_on_pds.checked) data.append("audio_on_pds", "true");

  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/tracks/");
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) progress((e.loaded / e.total) * 50, `sending… ${Math.round((e.loaded / e.total) * 100)}%`);
  });
  xhr.addEventListener("load", () => {
    let body = {};
    try {
      body = JSON.parse(xhr.responseText || "{}");
    } catch {
      body = {};
    }
    if (xhr.status === 202) return follow(form, body.upload_id);
    setBusy(form, false);
    const detail = typeof body.detail === "string" ? body.detail : body.detail?.message;
    showError(detail || `the upload failed (HTTP ${xhr.status})`);
  });
  xhr.addEventListener("error", () => {
    setBusy(form, false);
    showError("the connection dropped during the upload; try again");
  });
  setBusy(form, true);
  progress(0, "sending…");
  xhr.send(data);
}

function follow(form, uploadId) {
  progress(50, "processing…");
  const events = new EventSource(`/tracks/uploads/${uploadId}/progress`);
  events.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    progress(50 + job.progress_pct / 2, `${job.phase}: ${job.message || ""}`);
    if (job.status === "completed") {
      events.close();
      for (const warning of job.warnings || []) say(warning, "info");
      say("uploaded", "success");
      const url = `/track/${job.track_id}`;
      if (window.htmx) {
        window.htmx.ajax("GET", url, { target: "main", select: "main", swap: "outerHTML" }).then(() => history.pushState({ htmx: true }, "", url));
      } else location.href = url;
    } else if (job.status === "failed") {
      events.close();
      setBusy(form, false);
      showError(job.error || "processing failed");
    }
  });
  events.addEventListener("error", () => {
    // the stream ends after the last event; a drop before that: say so, keep the form
    if (events.readyState === EventSource.CLOSED && !form.elements[0].disabled) return;
    events.close();
    setBusy(form, false);
    showError("lost track of the upload's progress; check the portal in a moment");
  });
}
