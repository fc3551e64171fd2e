// Playlists and albums in pages: the "add to playlist" menu of every track row and track page
// (my playlists, a new one; on my own playlist or album also move up/down and remove), the
// library's new-playlist form, and the owner's controls on a playlist or album page (rename,
// privacy, artwork, delete, reorder by drag). Bound by delegation on document, like the rest.
import { request, visit } from "./http.js";
import { say } from "./toast.js";

const trackIdOf = (el) => Number(el.dataset.trackId || el.closest("[data-track-id]")?.dataset.trackId);
const editableList = (el) => el.closest("[data-playlist-order], [data-album-order]");

// ---- the menu -------------------------------------------------------------------------

let menu = null;
let opener = null;

function menuElement() {
  if (menu?.isConnected) return menu;
  menu = document.createElement("div");
  menu.id = "playlist-menu";
  menu.className = "playlist-menu";
  menu.setAttribute("role", "menu");
  menu.setAttribute("aria-label", "add to a playlist");
  menu.hidden = true;
  document.body.append(menu);
  return menu;
}

function item(label, data, extra = "") {
  const button = document.createElement("button");
  button.type = "button";
  button.setAttribute("role", "menuitem");
  button.className = `menu-item ${extra}`.trim();
  button.textContent = label;
  Object.assign(button.dataset, data);
  return button;
}

function heading(text) {
  const p = document.createElement("p");
  p.className = "menu-heading";
  p.textContent = text;
  return p;
}

async function openMenu(button) {
  const trackId = trackIdOf(button);
  if (!trackId) return;
  const el = menuElement();
  if (!el.hidden && opener === button) return closeMenu();
  opener = button;
  button.setAttribute("aria-expanded", "true");
  el.dataset.trackId = String(trackId);
  el.replaceChildren(heading("add to playlist"), Object.assign(document.createElement("p"), { className: "menu-note", textContent: "loading…" }));
  el.hidden = false;
  place(el, button);
  let playlists = [];
  try {
    playlists = await request("GET", "/lists/playlists");
  } catch (e) {
    if (e.status === 401) {
      closeMenu();
      return say("sign in to make playlists", "info");
    }
    el.replaceChildren(heading("add to playlist"), Object.assign(document.createElement("p"), { className: "menu-note", textContent: e.message }));
    return;
  }
  if (opener !== button) return; // another menu was opened meanwhile
  /** @type {HTMLElement[]} */
  const items = [heading("add to playlist")];
  for (const playlist of playlists) {
    items.push(item(playlist.is_private ? `${playlist.name} · private` : playlist.name, { addTo: playlist.id, name: playlist.name }));
  }
  items.push(item("+ new playlist", { newPlaylist: "" }, "menu-new"));
  const owned = editableList(button);
  if (owned && button.closest(".track-row")) {
    const kind = owned.dataset.playlistOrder ? "playlist" : "album";
    items.push(heading(`this ${kind}`));
    items.push(item("move up", { move: "-1" }), item("move down", { move: "1" }));
    items.push(item(`remove from this ${kind}`, { removeFrom: kind }, "menu-danger"));
  }
  el.replaceChildren(...items);
  place(el, button);
  el.querySelector("[role=menuitem]")?.focus();
}

function place(el, button) {
  const box = button.getBoundingClientRect();
  const width = Math.min(260, window.innerWidth - 16);
  el.style.width = `${width}px`;
  const left = Math.max(8, Math.min(box.right - width, window.innerWidth - width - 8));
  const below = box.bottom + 4;
  const height = el.offsetHeight;
  const top = below + height > window.innerHeight - 8 ? Math.max(8, box.top - height - 4) : below;
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;
}

function closeMenu({ refocus = false } = {}) {
  if (!menu || menu.hidden) return;
  menu.hidden = true;
  menu.replaceChildren();
  opener?.setAttribute("aria-expanded", "false");
  if (refocus && opener?.isConnected) opener.focus();
  opener = null;
}

async function addTo(playlistId, name, trackId) {
  try {
    await request("POST", `/lists/playlists/${playlistId}/tracks`, { track_id: trackId });
    say(`added to ${name}`, "success");
  } catch (e) {
    say(e.status === 409 ? `already in ${name}` : e.message, e.status === 409 ? "info" : "error");
  }
}

function newPlaylistForm(trackId) {
  const form = document.createElement("form");
  form.className = "menu-form";
  form.dataset.menuNewPlaylist = String(trackId);
  const input = Object.assign(document.createElement("input"), { type: "text", name: "name", required: true, maxLength: 256, placeholder: "playlist name", autocomplete: "off" });
  input.setAttribute("aria-label", "name of the new playlist");
  const submit = Object.assign(document.createElement("button"), { type: "submit", className: "button button-small", textContent: "create" });
  form.append(input, submit);
  return form;
}

async function createAndAdd(form) {
  const name = form.elements.name.value.trim();
  const trackId = Number(form.dataset.menuNewPlaylist);
  if (!name) return;
  try {
    const playlist = await request("POST", "/lists/playlists", { name, is_private: false });
    closeMenu({ refocus: true });
    await addTo(playlist.id, playlist.name, trackId);
  } catch (e) {
    say(e.message, "error");
  }
}

function menuKeys(event) {
  const items = [...menu.querySelectorAll("[role=menuitem]")];
  const at = items.indexOf(document.activeElement);
  if (event.key === "Escape") {
    event.preventDefault();
    closeMenu({ refocus: true });
  } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && items.length) {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    items[(at + step + items.length) % items.length].focus();
  } else if (event.key === "Tab") {
    closeMenu();
  }
}

// ---- owners' lists: order and removal ---------------------------------------------------

function rowsIn(list) {
  return [...list.querySelectorAll(":scope > .track-row")];
}

async function saveOrder(list) {
  const ids = rowsIn(list).map((row) => Number(row.dataset.trackId));
  try {
    if (list.dataset.playlistOrder) {
      await request("PUT", `/lists/playlists/${list.dataset.playlistOrder}/reorder`, { track_ids: ids });
    } else {
      await request("PUT", `/albums/${list.dataset.albumOrder}/tracks`, { track_ids: ids });
    }
    say("order saved", "success");
  } catch (e) {
    say(e.message, "error");
    visit(location.pathname + location.search, { push: false }); // show what is saved
  }
}

function move(row, step) {
  const list = row.parentElement;
  const sibling = step < 0 ? row.previousElementSibling : row.nextElementSibling;
  if (!sibling?.classList.contains("track-row")) return;
  if (step < 0) sibling.before(row);
  else sibling.after(row);
  row.querySelector("[data-action=playlist-menu]")?.focus();
  saveOrder(list);
}

async function removeRow(row, kind) {
  const list = row.parentElement;
  const trackId = Number(row.dataset.trackId);
  try {
    if (kind === "playlist") {
      await request("DELETE", `/lists/playlists/${list.dataset.playlistOrder}/tracks/${trackId}`);
    } else {
      const ids = rowsIn(list).map((r) => Number(r.dataset.trackId)).filter((id) => id !== trackId);
      await request("PUT", `/albums/${list.dataset.albumOrder}/tracks`, { track_ids: ids });
    }
    row.remove();
    say(`removed from this ${kind}`, "success");
  } catch (e) {
    say(e.message, "error");
  }
}

function makeDraggable() {
  const rows = /** @type {NodeListOf<HTMLElement>} */ (
    document.querySelectorAll("[data-playlist-order] > .track-row, [data-album-order] > .track-row")
  );
  for (const row of rows) {
    row.draggable = true;
  }
}

let dragged = null;

/** @returns {HTMLElement | null} the track row an event happened in */
const rowOf = (target) => (target instanceof Element ? target.closest(".track-row") : null);

function dropSide(row, event) {
  const box = row.getBoundingClientRect();
  return event.clientY < box.top + box.height / 2 ? "before" : "after";
}

function clearDrop() {
  for (const el of document.querySelectorAll(".track-row[data-drop]")) el.removeAttribute("data-drop");
}

// ---- owner controls on playlist and album pages, and the library's form -----------------

async function savePlaylist(form) {
  const id = form.dataset.playlistSettings;
  const body = { name: form.elements.name.value.trim(), is_private: form.elements.is_private.checked };
  try {
    await request("PATCH", `/lists/playlists/${id}`, body);
    say("playlist saved", "success");
    visit(location.pathname, { push: false });
  } catch (e) {
    say(e.message, "error");
  }
}

async function saveAlbum(form) {
  const id = form.dataset.albumSettings;
  const body = { title: form.elements.title.value.trim(), description: form.elements.description.value.trim() };
  try {
    const album = await request("PATCH", `/albums/${id}`, body);
    say("album saved", "success");
    visit(`/u/${encodeURIComponent(album.artist.handle)}/album/${encodeURIComponent(album.slug)}`, { push: false });
  } catch (e) {
    say(e.message, "error");
  }
}

async function uploadCover(input) {
  const file = input.files[0];
  if (!file) return;
  const data = new FormData();
  data.append("image", file);
  const url = input.dataset.playlistCover ? `/lists/playlists/${input.dataset.playlistCover}/cover` : `/albums/${input.dataset.albumCover}/cover`;
  try {
    await request("POST", url, data);
    say("artwork saved", "success");
    visit(location.pathname, { push: false });
  } catch (e) {
    say(e.message, "error");
  } finally {
    input.value = "";
  }
}

async function removeCover(button) {
  try {
    await request("DELETE", `/lists/playlists/${button.dataset.playlistCoverRemove}/cover`);
    say("artwork removed", "success");
    visit(location.pathname, { push: false });
  } catch (e) {
    say(e.message, "error");
  }
}

/** Deleting takes a second click within a few seconds (no native dialog). */
async function confirmDelete(button, url) {
  if (button.dataset.armed !== "true") {
    button.dataset.armed = "true";
    button.dataset.label = button.textContent;
    button.textContent = "click again to delete";
    setTimeout(() => {
      if (!button.isConnected) return;
      button.dataset.armed = "false";
      button.textContent = button.dataset.label;
    }, 4000);
    return;
  }
  try {
    await request("DELETE", url);
    say("deleted", "success");
    visit(button.dataset.then || "/library");
  } catch (e) {
    say(e.message, "error");
  }
}

async function createPlaylist(form) {
  const body = { name: form.elements.name.value.trim(), is_private: form.elements.is_private.checked };
  if (!body.name) return;
  try {
    const playlist = await request("POST", "/lists/playlists", body);
    say(`created ${playlist.name}`, "success");
    visit("/library", { push: false });
  } catch (e) {
    say(e.message, "error");
  }
}

// ---- binding ---------------------------------------------------------------------------

export function initLists() {
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const toggle = target.closest("[data-action=playlist-menu]");
    if (toggle) {
      event.preventDefault();
      openMenu(toggle);
      return;
    }
    const choice = /** @type {HTMLElement | null} */ (target.closest("#playlist-menu [role=menuitem]"));
    if (choice) {
      const trackId = Number(menu.dataset.trackId);
      const row = opener?.closest(".track-row");
      if (choice.dataset.addTo) {
        closeMenu({ refocus: true });
        addTo(choice.dataset.addTo, choice.dataset.name, trackId);
      } else if ("newPlaylist" in choice.dataset) {
        const form = newPlaylistForm(trackId);
        choice.replaceWith(form);
        /** @type {HTMLInputElement} */ (form.elements.namedItem("name")).focus();
      } else if (choice.dataset.move && row) {
        closeMenu();
        move(row, Number(choice.dataset.move));
      } else if (choice.dataset.removeFrom && row) {
        closeMenu();
        removeRow(row, choice.dataset.removeFrom);
      }
      return;
    }
    if (menu && !menu.hidden && !target.closest("#playlist-menu")) closeMenu();
    const cover = target.closest("[data-playlist-cover-remove]");
    if (cover) removeCover(cover);
    const del = /** @type {HTMLElement | null} */ (target.closest("[data-playlist-delete], [data-album-delete]"));
    if (del) {
      const url = del.dataset.playlistDelete ? `/lists/playlists/${del.dataset.playlistDelete}` : `/albums/${del.dataset.albumDelete}`;
      confirmDelete(del, url);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (menu && !menu.hidden && menu.contains(document.activeElement)) menuKeys(event);
  });
  document.addEventListener("submit", (event) => {
    const form = /** @type {HTMLFormElement} */ (event.target);
    /** @type {[string, (form: HTMLFormElement) => unknown][]} */
    const handlers = [
      ["[data-menu-new-playlist]", createAndAdd],
      ["[data-create-playlist]", createPlaylist],
      ["[data-playlist-settings]", savePlaylist],
      ["[data-album-settings]", saveAlbum],
    ];
    for (const [selector, handle] of handlers) {
      if (form.matches?.(selector)) {
        event.preventDefault();
        handle(form);
        return;
      }
    }
  });
  document.addEventListener("change", (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    if (input.matches?.("[data-playlist-cover], [data-album-cover]")) uploadCover(input);
  });
  document.addEventListener("dragstart", (event) => {
    const row = rowOf(event.target);
    if (!row || !editableList(row)) return;
    dragged = row;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.dataset.trackId || "");
    row.classList.add("dragging");
  });
  document.addEventListener("dragover", (event) => {
    const row = rowOf(event.target);
    if (!dragged || !row || row.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    clearDrop();
    if (row !== dragged) row.dataset.drop = dropSide(row, event);
  });
  document.addEventListener("drop", (event) => {
    const row = rowOf(event.target);
    if (!dragged || !row || row.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    const list = row.parentElement;
    if (row !== dragged) {
      if (dropSide(row, event) === "before") row.before(dragged);
      else row.after(dragged);
      saveOrder(list);
    }
    clearDrop();
  });
  document.addEventListener("dragend", () => {
    dragged?.classList.remove("dragging");
    dragged = null;
    clearDrop();
  });
  document.addEventListener("htmx:beforeSwap", () => closeMenu());
  document.addEventListener("htmx:afterSettle", makeDraggable);
  window.addEventListener("resize", () => closeMenu());
  makeDraggable();
}
