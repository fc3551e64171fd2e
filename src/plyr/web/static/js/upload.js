// The upload form: drag-and-drop, the title from the file's tags, artwork preview, tag
// suggestions, the transfer's progress (XHR), then the server's phases (SSE). On failure
// the form keeps every value and says what went wrong. The album mode sends several files,
// in the order the artist sets, the same way, one after the other.
import { byId as $ } from "./format.js";
import { request, visit } from "./http.js";
import { readTitle, titleFromName } from "./tags.js";
import { say } from "./toast.js";

/** A field of the upload forms (input, textarea or select) by id: its value, files, src. */
const field = (id) => /** @type {HTMLInputElement} */ ($(id));

let autoTitle = "";
let suggestTimer = 0;

export function initUpload() {
  bindAlbum();
  document.addEventListener("change", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    if (target.id === "upload-file") chosen(target.files[0]);
    else if (target.id === "upload-image") preview(target.files[0]);
  });
  document.addEventListener("dragover", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    const zone = target.closest?.("#drop-zone, #album-drop-zone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("drop-over");
  });
  document.addEventListener("dragleave", (event) =>
    /** @type {Element} */ (event.target).closest?.("#drop-zone, #album-drop-zone")?.classList.remove("drop-over"),
  );
  document.addEventListener("drop", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    const zone = target.closest?.("#drop-zone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("drop-over");
    const file = event.dataTransfer.files[0];
    if (!file) return;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    field("upload-file").files = transfer.files;
    chosen(file);
  });
  document.addEventListener("input", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    if (target.id === "upload-tags" || target.id === "album-upload-tags") {
      clearTimeout(suggestTimer);
      suggestTimer = setTimeout(() => suggestTags(target), 150);
    }
  });
  document.addEventListener("submit", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    if (target.id !== "upload-form") return;
    event.preventDefault();
    submit(target);
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
  const title = field("upload-title");
  if (!title.value || title.value === autoTitle) {
    autoTitle = (await readTitle(file)) || titleFromName(file.name);
    title.value = autoTitle;
  }
}

function preview(file) {
  previewInto("upload-image-preview", file);
}

function previewInto(id, file) {
  const img = /** @type {HTMLImageElement | null} */ ($(id));
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

// The track form's ids start "upload-", the album form's "album-upload-": the same error
// box and progress bar in each.
const ALBUM = "album-upload";

function showError(message, form = "upload") {
  const box = $(`${form}-error`);
  if (!box) return;
  box.textContent = message;
  box.hidden = !message;
}

function setBusy(form, busy) {
  for (const el of form.elements) el.disabled = busy;
  $("upload-progress").hidden = !busy && !$("upload-progress-bar").style.width;
}

function progress(pct, text, form = "upload") {
  $(`${form}-progress`).hidden = false;
  $(`${form}-progress-bar`).style.width = `${Math.max(0, Math.min(100, pct))}%`;
  $(`${form}-status`).textContent = text;
}

function submit(form) {
  const file = field("upload-file").files[0];
  if (!file) return showError("choose an audio file first");
  if (!field("upload-title").value.trim()) return showError("give the track a title");
  showError("");
  const data = new FormData();
  data.append("file", file);
  data.append("title", field("upload-title").value.trim());
  for (const name of ["album", "description", "visibility"]) {
    const value = form.elements[name].value.trim();
    if (value) data.append(name, value);
  }
  const tags = tagList(field("upload-tags").value);
  if (tags.length) data.append("tags", JSON.stringify(tags));
  const image = field("upload-image").files[0];
  if (image) data.append("image", image);
  if (form.elements.audio_on_pds.checked) data.append("audio_on_pds", "true");
  if (form.elements.auto_tag.checked) data.append("auto_tag", "true");

  setBusy(form, true);
  sendTrack(data, progress).then(
    (job) => {
      for (const warning of job.warnings || []) say(warning, "info");
      say("uploaded", "success");
      visit(`/track/${job.track_id}`);
    },
    (error) => {
      setBusy(form, false);
      showError(error.message);
    },
  );
}

/** Send one track (XHR: the transfer's progress is 0-50%) and follow its job (SSE: 50-100%)
 * to the end. Resolves with the completed job; rejects with an Error saying what went wrong. */
export function sendTrack(data, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/tracks/");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress((e.loaded / e.total) * 50, `sending… ${Math.round((e.loaded / e.total) * 100)}%`);
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText || "{}");
      } catch {
        body = {};
      }
      if (xhr.status === 202) return follow(body.upload_id, onProgress).then(resolve, reject);
      const detail = typeof body.detail === "string" ? body.detail : body.detail?.message;
      reject(new Error(detail || `the upload failed (HTTP ${xhr.status})`));
    });
    xhr.addEventListener("error", () => reject(new Error("the connection dropped during the upload; try again")));
    onProgress(0, "sending…");
    xhr.send(data);
  });
}

function follow(uploadId, onProgress) {
  return new Promise((resolve, reject) => {
    onProgress(50, "processing…");
    const events = new EventSource(`/tracks/uploads/${uploadId}/progress`);
    let finished = false;
    events.addEventListener("job", (event) => {
      const job = JSON.parse(event.data);
      onProgress(50 + job.progress_pct / 2, `${job.phase}: ${job.message || ""}`);
      if (job.status === "completed" || job.status === "failed") {
        finished = true;
        events.close();
        if (job.status === "completed") resolve(job);
        else reject(new Error(job.error || "processing failed"));
      }
    });
    events.addEventListener("error", () => {
      // the stream ends after the last event; a drop before that: say so
      if (finished) return;
      events.close();
      reject(new Error("lost track of the upload's progress; check the portal in a moment"));
    });
  });
}

// ---- an album: several files in order, uploaded one by one, then the album's order once ----

// `tagged`: its tags were read for a title (once)
/** @type {{file: File, title: string, auto: string, trackId: number|null, state: string, tagged?: boolean}[]} */
let albumFiles = [];
let albumId = null;
let albumCoverSent = false;
let draggedFile = -1;

function setMode(mode) {
  const album = mode === "album";
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-upload-mode]"))) {
    button.setAttribute("aria-pressed", String(button.dataset.uploadMode === mode));
  }
  if ($("upload-form")) $("upload-form").hidden = album;
  if ($("album-upload-form")) $("album-upload-form").hidden = !album;
  const url = album ? "/upload?mode=album" : "/upload";
  if (location.pathname === "/upload") history.replaceState(history.state, "", url);
}

async function addAlbumFiles(files) {
  showError("", ALBUM);
  const form = $("album-upload-form");
  const limit = Number(form.dataset.maxBytes);
  const audio = [...files].filter((f) => !f.type || f.type.startsWith("audio/") || /\.(mp3|flac|wav|aiff?|m4a|ogg|opus)$/i.test(f.name));
  for (const file of audio.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))) {
    if (file.size > limit) {
      showError(`${file.name} is ${(file.size / 1048576).toFixed(0)} MB; the limit is ${(limit / 1048576).toFixed(0)} MB`, ALBUM);
      continue;
    }
    const auto = titleFromName(file.name);
    albumFiles.push({ file, title: auto, auto, trackId: null, state: "waiting" });
  }
  renderAlbumFiles();
  for (const entry of albumFiles) {
    if (entry.title !== entry.auto || entry.tagged) continue;
    entry.tagged = true;
    const tagged = await readTitle(entry.file);
    if (tagged && entry.title === entry.auto) {
      entry.title = entry.auto = tagged;
      renderAlbumFiles();
    }
  }
}

function fileButton(label, action, index, disabled = false) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button";
  button.textContent = { up: "↑", down: "↓", remove: "×" }[action];
  button.setAttribute("aria-label", `${label}`);
  button.dataset.albumFile = action;
  button.dataset.index = String(index);
  button.disabled = disabled;
  return button;
}

function renderAlbumFiles() {
  const list = $("album-file-list");
  if (!list) return;
  const busy = /** @type {HTMLButtonElement | null} */ ($("album-upload-submit"))?.disabled;
  list.replaceChildren(
    ...albumFiles.map((entry, i) => {
      const li = document.createElement("li");
      li.draggable = !busy;
      li.dataset.index = String(i);
      li.dataset.state = entry.state;
      const n = Object.assign(document.createElement("span"), { className: "album-file-n", textContent: String(i + 1) });
      const fields = Object.assign(document.createElement("div"), { className: "album-file-fields" });
      const title = Object.assign(document.createElement("input"), { type: "text", value: entry.title, maxLength: 256, required: true });
      title.dataset.albumTitle = String(i);
      title.disabled = busy || entry.trackId !== null;
      title.setAttribute("aria-label", `title of track ${i + 1}`);
      const state = entry.state === "done" ? " · uploaded" : entry.state === "failed" ? " · failed" : "";
      const name = Object.assign(document.createElement("span"), {
        className: "album-file-name",
        textContent: `${entry.file.name} · ${(entry.file.size / 1048576).toFixed(1)} MB${state}`,
      });
      fields.append(title, name);
      const buttons = Object.assign(document.createElement("div"), { className: "album-file-buttons" });
      buttons.append(
        fileButton(`move ${entry.title} up`, "up", i, busy || i === 0),
        fileButton(`move ${entry.title} down`, "down", i, busy || i === albumFiles.length - 1),
        fileButton(`remove ${entry.title}`, "remove", i, busy || entry.trackId !== null),
      );
      li.append(n, fields, buttons);
      return li;
    }),
  );
  $("album-order-hint").hidden = albumFiles.length < 2;
}

function moveAlbumFile(from, to) {
  if (to < 0 || to >= albumFiles.length || from === to) return;
  const [entry] = albumFiles.splice(from, 1);
  albumFiles.splice(to, 0, entry);
  renderAlbumFiles();
}

function setAlbumBusy(form, busy) {
  for (const el of form.elements) el.disabled = busy;
  renderAlbumFiles();
}

/** The album first (created once; the same title again is the same album), its artwork,
 * then each file in order (one at a time, skipping those already sent), then the order: a
 * single PUT, so the album's record is written once, at the end. */
async function submitAlbum(form) {
  const title = field("album-upload-title").value.trim();
  if (!title) return showError("give the album a title", ALBUM);
  if (!albumFiles.length) return showError("choose the album's audio files", ALBUM);
  const untitled = albumFiles.findIndex((entry) => !entry.title.trim());
  if (untitled >= 0) return showError(`give track ${untitled + 1} a title`, ALBUM);
  showError("", ALBUM);
  setAlbumBusy(form, true);
  const image = field("album-upload-image").files[0];
  const tags = tagList(field("album-upload-tags").value);
  try {
    if (albumId === null) {
      const description = field("album-upload-description").value.trim();
      const album = await request("POST", "/albums/", description ? { title, description } : { title });
      albumId = album.id;
    }
    if (image && !albumCoverSent) {
      const cover = new FormData();
      cover.append("image", image);
      await request("POST", `/albums/${albumId}/cover`, cover);
      albumCoverSent = true;
    }
    const count = albumFiles.length;
    for (const [i, entry] of albumFiles.entries()) {
      if (entry.trackId !== null) continue;
      const data = new FormData();
      data.append("file", entry.file);
      data.append("title", entry.title.trim());
      data.append("album_id", String(albumId));
      data.append("visibility", field("album-upload-visibility").value);
      if (tags.length) data.append("tags", JSON.stringify(tags));
      if (image) data.append("image", image);
      entry.state = "sending";
      renderAlbumFiles();
      try {
        const job = await sendTrack(data, (pct, text) => progress(((i + pct / 100) / count) * 100, `track ${i + 1} of ${count} · ${text}`, ALBUM));
        for (const warning of job.warnings || []) say(warning, "info");
        entry.trackId = job.track_id;
        entry.state = "done";
      } catch (error) {
        entry.state = "failed";
        throw new Error(`${entry.file.name}: ${error.message}`);
      } finally {
        renderAlbumFiles();
      }
    }
    progress(100, "putting the tracks in order…", ALBUM);
    const album = await request("PUT", `/albums/${albumId}/tracks`, { track_ids: albumFiles.map((entry) => entry.trackId) });
    say("album uploaded", "success");
    resetAlbum();
    visit(`/u/${encodeURIComponent(album.artist.handle)}/album/${encodeURIComponent(album.slug)}`);
  } catch (error) {
    setAlbumBusy(form, false);
    showError(`${error.message} (what was uploaded stays; upload again to send the rest)`, ALBUM);
  }
}

function resetAlbum() {
  albumFiles = [];
  albumId = null;
  albumCoverSent = false;
}

function bindAlbum() {
  document.addEventListener("click", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    const mode = /** @type {HTMLElement | null} */ (target.closest?.("[data-upload-mode]"));
    if (mode) return setMode(mode.dataset.uploadMode);
    const button = /** @type {HTMLElement | null} */ (target.closest?.("[data-album-file]"));
    if (!button) return;
    const i = Number(button.dataset.index);
    if (button.dataset.albumFile === "up") moveAlbumFile(i, i - 1);
    else if (button.dataset.albumFile === "down") moveAlbumFile(i, i + 1);
    else if (button.dataset.albumFile === "remove") {
      albumFiles.splice(i, 1);
      renderAlbumFiles();
    }
  });
  document.addEventListener("change", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    if (target.id === "album-files") {
      addAlbumFiles(target.files);
      target.value = "";
    } else if (target.id === "album-upload-image") previewInto("album-upload-image-preview", target.files[0]);
  });
  document.addEventListener("input", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    const index = target.dataset?.albumTitle;
    if (index !== undefined) albumFiles[Number(index)].title = target.value;
    else if (target.id === "album-upload-title" && albumId !== null) albumId = null; // another album
  });
  document.addEventListener("dragstart", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    const li = /** @type {HTMLElement | null} */ (target.closest?.("#album-file-list > li"));
    if (!li) return;
    draggedFile = Number(li.dataset.index);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", li.dataset.index);
  });
  document.addEventListener("dragover", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    const li = /** @type {HTMLElement | null} */ (target.closest?.("#album-file-list > li"));
    if (!li || draggedFile < 0) return;
    event.preventDefault();
    const box = li.getBoundingClientRect();
    for (const other of document.querySelectorAll("#album-file-list > li[data-drop]")) other.removeAttribute("data-drop");
    li.dataset.drop = event.clientY < box.top + box.height / 2 ? "before" : "after";
  });
  document.addEventListener("drop", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    const zone = target.closest?.("#album-drop-zone");
    if (zone) {
      event.preventDefault();
      zone.classList.remove("drop-over");
      return addAlbumFiles(event.dataTransfer.files);
    }
    const li = /** @type {HTMLElement | null} */ (target.closest?.("#album-file-list > li"));
    if (!li || draggedFile < 0) return;
    event.preventDefault();
    const at = Number(li.dataset.index);
    const after = li.dataset.drop === "after";
    let to = after ? at + 1 : at;
    if (draggedFile < to) to -= 1;
    moveAlbumFile(draggedFile, to);
    draggedFile = -1;
  });
  document.addEventListener("dragend", () => {
    draggedFile = -1;
    for (const other of document.querySelectorAll("#album-file-list > li[data-drop]")) other.removeAttribute("data-drop");
  });
  document.addEventListener("submit", (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    if (target.id !== "album-upload-form") return;
    event.preventDefault();
    submitAlbum(target);
  });
  // a new visit to the upload page starts a new album
  document.addEventListener("htmx:afterSettle", () => {
    if ($("album-file-list") && !$("album-file-list").children.length && albumFiles.length) resetAlbum();
  });
}
