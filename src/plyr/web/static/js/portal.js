// The portal: edit my tracks in place (title, tags, artwork replace/remove with preview and
// undo), delete with confirmation, and developer tokens.
import { request } from "./http.js";
import { say } from "./toast.js";
import { suggestTags, tagList } from "./upload.js";

function artParts(form) {
  return {
    img: form.querySelector(".portal-art img"),
    file: form.querySelector("input[name=image]"),
    remove: form.querySelector("input[name=remove_image]"),
    undo: form.querySelector("[data-undo-image]"),
  };
}

function previewArt(form) {
  const { img, file, undo, remove } = artParts(form);
  const chosen = file.files[0];
  if (!chosen) return;
  img.src = URL.createObjectURL(chosen);
  img.hidden = false;
  remove.value = "";
  undo.hidden = false;
}

function removeArt(form) {
  const { img, file, undo, remove } = artParts(form);
  file.value = "";
  img.hidden = true;
  remove.value = "true";
  undo.hidden = false;
}

function undoArt(form) {
  const { img, file, undo, remove } = artParts(form);
  file.value = "";
  remove.value = "";
  img.src = img.dataset.original;
  img.hidden = !img.dataset.original;
  undo.hidden = true;
}

async function save(form) {
  const id = form.dataset.editTrack;
  const { file, remove, undo, img } = artParts(form);
  const data = new FormData();
  data.append("title", form.elements.title.value.trim());
  data.append("tags", JSON.stringify(tagList(form.querySelector("[data-tags]").value)));
  if (file.files[0]) data.append("image", file.files[0]);
  if (remove.value) data.append("remove_image", "true");
  try {
    const track = await request("PATCH", `/tracks/${id}`, data);
    img.dataset.original = track.thumbnail_url || "";
    undoArt(form);
    undo.hidden = true;
    say("saved", "success");
  } catch (e) {
    say(e.message, "error");
  }
}

async function remove(button) {
  if (!confirm(`delete “${button.dataset.title}”? this cannot be undone.`)) return;
  try {
    await request("DELETE", `/tracks/${button.dataset.deleteTrack}`);
    button.closest("li").remove();
    say("deleted", "success");
  } catch (e) {
    say(e.message, "error");
  }
}

async function newToken(form) {
  const days = form.elements.expires_in_days.value;
  try {
    const { auth_url } = await request("POST", "/auth/developer-token/start", {
      name: form.elements.name.value.trim(),
      expires_in_days: days ? Number(days) : null,
    });
    location.href = auth_url; // your PDS approves the grant; the token is shown once after
  } catch (e) {
    say(e.message, "error");
  }
}

async function revokeToken(button) {
  try {
    await request("DELETE", `/auth/developer-tokens/${encodeURIComponent(button.dataset.revokeToken)}`);
    button.closest("li").remove();
    say("token revoked", "success");
  } catch (e) {
    say(e.message, "error");
  }
}

export function initPortal() {
  document.addEventListener("submit", (event) => {
    const form = /** @type {HTMLFormElement} */ (event.target);
    if (form.matches("[data-edit-track]")) (event.preventDefault(), save(form));
    else if (form.matches("[data-new-token]")) (event.preventDefault(), newToken(form));
  });
  document.addEventListener("change", (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    const form = input.closest("[data-edit-track]");
    if (form && input.name === "image") previewArt(form);
  });
  document.addEventListener("click", (event) => {
    const target = /** @type {Element} */ (event.target).closest("[data-remove-image], [data-undo-image], [data-delete-track], [data-revoke-token]");
    if (!target) return;
    const form = target.closest("[data-edit-track]");
    if (target.matches("[data-remove-image]")) removeArt(form);
    else if (target.matches("[data-undo-image]")) undoArt(form);
    else if (target.matches("[data-delete-track]")) remove(target);
    else if (target.matches("[data-revoke-token]")) revokeToken(target);
  });
  document.addEventListener("input", (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    if (input.matches?.("[data-tags]")) suggestTags(input);
  });
}
