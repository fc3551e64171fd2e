// Page behaviours outside the player: sign-out, the terms overlay, share links, the search
// dialog, settings, and the upload and portal forms (their own modules). Everything is
// bound by delegation on document, so pages swapped in by htmx need no re-binding.
import { initUpload } from "./upload.js";
import { initPortal } from "./portal.js";
import { initLists } from "./lists.js";
import { copy, initSocial } from "./social.js";
import { initData } from "./data.js";
import { request, visit } from "./http.js";
import { say } from "./toast.js";

async function signOut(form) {
  try {
    await request("POST", form.action);
    location.href = "/";
  } catch (e) {
    say(e.message, "error");
  }
}

async function acceptTerms(dialog) {
  try {
    await request("POST", "/preferences/terms");
    dialog.close();
    dialog.remove();
  } catch (e) {
    say(e.message, "error");
  }
}

function openTerms() {
  const dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById("terms-dialog"));
  if (dialog && !dialog.open) dialog.showModal();
}

async function copyLink(button) {
  return copy(new URL(button.dataset.url || location.href).toString());
}

function applyTheme(form) {
  const data = new FormData(form);
  const root = document.documentElement;
  const theme = data.get("theme");
  const accent = data.get("accent_color");
  if (typeof theme === "string" && theme) root.dataset.theme = theme;
  if (typeof accent === "string" && accent) root.style.setProperty("--accent", accent);
}

async function savePreferences(form) {
  const data = new FormData(form);
  const tags = String(data.get("hidden_tags") || "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const body = {
    theme: data.get("theme"),
    accent_color: data.get("accent_color"),
    auto_advance: data.get("auto_advance") === "on",
    normalize_volume: data.get("normalize_volume") === "on",
    allow_comments: data.get("allow_comments") === "on",
    download_policy: data.get("download_policy"),
    hidden_tags: tags,
  };
  try {
    await request("POST", "/preferences", body);
    const root = document.documentElement;
    root.dataset.autoAdvance = String(body.auto_advance);
    root.dataset.normalize = String(body.normalize_volume);
    localStorage.setItem("plyr.autoAdvance", String(body.auto_advance));
    localStorage.setItem("plyr.normalize", String(body.normalize_volume));
    say("settings saved", "success");
  } catch (e) {
    say(e.message, "error");
  }
}

// ---- search dialog: results as you type (150 ms debounce), arrows + enter ----------------
let searchTimer = 0;
let searchSeq = 0;

function openSearch() {
  const dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById("search-dialog"));
  if (!dialog) return;
  if (!dialog.open) dialog.showModal();
  const input = /** @type {HTMLInputElement} */ (document.getElementById("search-input"));
  input.focus();
  input.select();
}

async function runSearch(query) {
  const list = document.getElementById("search-results");
  const seq = ++searchSeq;
  if (query.trim().length < 2) {
    list.replaceChildren();
    return;
  }
  const q = query.trim().slice(0, 100);
  let results = [];
  try {
    results = (await request("GET", `/search/?q=${encodeURIComponent(q)}&limit=8`)).results;
  } catch {
    results = []; // a 422 (nothing searchable) or a network error: nothing to show
  }
  if (seq !== searchSeq) return; // a newer query is on its way
  const path = encodeURIComponent;
  const describe = {
    track: (r) => ({ label: `${r.title} — ${r.artist_display_name || r.artist_handle}`, url: `/track/${r.id}` }),
    artist: (r) => ({ label: `${r.display_name || r.handle} · @${r.handle}`, url: `/u/${path(r.handle)}` }),
    album: (r) => ({ label: `${r.title} — album by @${r.artist_handle}`, url: `/u/${path(r.artist_handle)}/album/${path(r.slug)}` }),
    tag: (r) => ({ label: `#${r.name} · ${r.track_count}`, url: `/tag/${path(r.name)}` }),
    playlist: (r) => ({ label: `${r.name} — playlist by @${r.owner_handle}`, url: `/playlist/${r.id}` }),
  };
  const items = results.filter((r) => describe[r.type]).map((r) => describe[r.type](r));
  if (!items.length) {
    const none = document.createElement("li");
    none.className = "search-none";
    none.textContent = "nothing matches";
    list.replaceChildren(none);
    return;
  }
  items.push({ label: `all results for “${q}”`, url: `/search?q=${encodeURIComponent(q)}` });
  list.replaceChildren(
    ...items.map((item, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === 0 ? "true" : "false");
      const a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.label;
      li.append(a);
      return li;
    }),
  );
}

function moveSelection(step) {
  const options = [...document.querySelectorAll("#search-results [role=option]")];
  if (!options.length) return;
  const current = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
  const next = (current + step + options.length) % options.length;
  options.forEach((o, i) => o.setAttribute("aria-selected", i === next ? "true" : "false"));
  options[next].scrollIntoView({ block: "nearest" });
}

const searchDialog = () => /** @type {HTMLDialogElement} */ (document.getElementById("search-dialog"));

function openSelected(event) {
  const selected = document.querySelector('#search-results [aria-selected="true"] a');
  if (!selected) return;
  event.preventDefault();
  searchDialog().close();
  visit(selected.getAttribute("href"));
}

function bind() {
  document.addEventListener("plyr:search", openSearch);
  document.addEventListener("click", (event) => {
    const clicked = /** @type {Element} */ (event.target);
    const target = /** @type {HTMLElement | null} */ (clicked.closest("[data-action=search], [data-action=copy-link]"));
    if (target?.dataset.action === "search") openSearch();
    else if (target?.dataset.action === "copy-link") copyLink(target);
    const result = clicked.closest("#search-results a");
    if (result) {
      event.preventDefault();
      searchDialog().close();
      visit(result.getAttribute("href"));
    }
  });
  document.addEventListener("submit", (event) => {
    const form = /** @type {HTMLFormElement} */ (event.target);
    if (form.matches("[data-logout]")) {
      event.preventDefault();
      signOut(form);
    } else if (form.matches("[data-accept-terms]")) {
      event.preventDefault();
      acceptTerms(form.closest("dialog"));
    } else if (form.matches("[data-preferences]")) {
      event.preventDefault();
      savePreferences(form);
    } else if (form.closest("#search-dialog")) {
      openSelected(event);
    }
  });
  document.addEventListener("input", (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    if (input.id === "search-input") {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => runSearch(input.value), 150);
    } else if (input.closest("[data-preferences]")) {
      applyTheme(input.closest("form"));
    }
  });
  document.addEventListener("keydown", (event) => {
    if (/** @type {Element} */ (event.target).id !== "search-input") return;
    if (event.key === "Escape") {
      // a search field's first Escape would only clear it: one Escape closes the dialog
      event.preventDefault();
      searchDialog().close();
    } else if (event.key === "ArrowDown") (event.preventDefault(), moveSelection(1));
    else if (event.key === "ArrowUp") (event.preventDefault(), moveSelection(-1));
  });
  openTerms();
  initUpload();
  initPortal();
  initLists();
  initSocial();
  initData();
}

bind();
