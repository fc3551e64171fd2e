// Page behaviours outside the player: sign-out, the terms overlay, share links, the search
// dialog (search.js), settings, and the upload and portal forms (their own modules). Everything is
// bound by delegation on document, so pages swapped in by htmx need no re-binding.
import { initUpload } from "./upload.js";
import { initPortal } from "./portal.js";
import { initLists } from "./lists.js";
import { initRecommend } from "./recommend.js";
import { initReports } from "./report.js";
import { copy, initSocial } from "./social.js";
import { initData } from "./data.js";
import { request, visit } from "./http.js";
import { moveSelection, openSearch, openSelected, queueSearch, searchDialog } from "./search.js";
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
    show_sensitive_artwork: data.get("show_sensitive_artwork") === "on",
    show_sensitive_audio: data.get("show_sensitive_audio") === "on",
    download_policy: data.get("download_policy"),
    hidden_tags: tags,
  };
  try {
    await request("POST", "/preferences", body);
    const root = document.documentElement;
    root.dataset.autoAdvance = String(body.auto_advance);
    root.dataset.normalize = String(body.normalize_volume);
    root.dataset.showSensitiveArtwork = String(body.show_sensitive_artwork);
    localStorage.setItem("plyr.autoAdvance", String(body.auto_advance));
    localStorage.setItem("plyr.normalize", String(body.normalize_volume));
    say("settings saved", "success");
  } catch (e) {
    say(e.message, "error");
  }
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
      queueSearch(input.value);
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
  initRecommend();
  initSocial();
  initData();
  initReports();
}

bind();
