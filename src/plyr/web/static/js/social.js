// Likes, likers, share links and timed comments on track pages. Bound by delegation on
// document (pages swapped in by htmx need nothing); the player is window.plyr.player.
//
// - [data-like=ID]: like/unlike, optimistic (aria-pressed + [data-like-count]), rolled back
//   with a toast when the server refuses; signed out ([data-signed-out]) → /login.
// - [data-likers=ID]: who liked it, in a <dialog>: a popover under the button on desktop, a
//   bottom sheet on phones (≤ 720 px).
// - [data-share=ID]: POST /tracks/ID/share and copy the `?ref=` link it returns.
// - section[data-comments=ID]: timestamps that seek (or start the track there), a form that
//   captures where the player is when you start typing, inline edit/delete of your own.
// - A track page opened with ?ref=CODE reports the visit once (the player sends the same ref
//   with the play count).
import { formatTime, trackOf } from "./format.js";
import { request, visit } from "./http.js";
import { say } from "./toast.js";

const PHONE = "(max-width: 720px)";

const player = () => /** @type {any} */ (window).plyr?.player ?? null;

function signIn() {
  visit(`/login?return_to=${encodeURIComponent(location.pathname + location.search)}`);
}

export async function copy(text, done = "link copied") {
  try {
    await navigator.clipboard.writeText(text);
    say(done, "success");
  } catch {
    say(text); // no clipboard (permissions, http): show it to copy by hand
  }
}

// ---- likes -----------------------------------------------------------------------------

/** Show a like state on every like button and likers button of the track. */
function showLike(id, liked, count) {
  for (const button of document.querySelectorAll(`[data-like="${id}"]`)) {
    button.setAttribute("aria-pressed", String(liked));
    const counter = button.querySelector("[data-like-count]");
    if (counter) counter.textContent = String(count);
  }
  for (const button of document.querySelectorAll(`[data-likers="${id}"]`)) {
    const anchor = button.closest(".likers-anchor");
    if (anchor instanceof HTMLElement) anchor.hidden = count < 1;
    const dialog = likersDialog(button);
    if (dialog?.open && count < 1) dialog.close();
    else if (dialog?.open) loadLikers(button, dialog);
  }
}

async function toggleLike(button) {
  if (button.hasAttribute("data-signed-out")) return signIn();
  if (button.getAttribute("aria-busy") === "true") return;
  const id = button.dataset.like;
  const was = button.getAttribute("aria-pressed") === "true";
  const before = Number(button.querySelector("[data-like-count]")?.textContent) || 0;
  showLike(id, !was, Math.max(0, before + (was ? -1 : 1)));
  button.setAttribute("aria-busy", "true");
  try {
    await request(was ? "DELETE" : "POST", `/tracks/${encodeURIComponent(id)}/like`);
  } catch (e) {
    showLike(id, was, before);
    say(`could not ${was ? "unlike" : "like"} it: ${e.message}`, "error");
  } finally {
    button.removeAttribute("aria-busy");
  }
}

function likersDialog(button) {
  const id = button.getAttribute("aria-controls");
  const dialog = id ? document.getElementById(id) : null;
  return dialog instanceof HTMLDialogElement ? dialog : null;
}

function person(liker) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `/u/${encodeURIComponent(liker.handle)}`;
  a.className = "liker";
  if (liker.avatar_url) {
    const img = document.createElement("img");
    img.className = "avatar avatar-small";
    img.src = liker.avatar_url;
    img.alt = "";
    a.append(img);
  } else {
    const letter = document.createElement("span");
    letter.className = "avatar avatar-small avatar-letter";
    letter.setAttribute("aria-hidden", "true");
    letter.textContent = (liker.display_name || liker.handle).slice(0, 1).toLowerCase();
    a.append(letter);
  }
  const name = document.createElement("span");
  name.className = "liker-name";
  name.textContent = liker.display_name || liker.handle;
  a.append(name);
  li.append(a);
  return li;
}

async function loadLikers(button, dialog) {
  const list = dialog.querySelector("[data-likers-list]");
  if (!list) return;
  try {
    const likers = await request("GET", `/tracks/${encodeURIComponent(button.dataset.likers)}/likes`);
    if (likers.length) list.replaceChildren(...likers.map(person));
    else {
      const none = document.createElement("li");
      none.className = "hint";
      none.textContent = "no likes yet";
      list.replaceChildren(none);
    }
  } catch (e) {
    say(e.message, "error");
  }
}

function openLikers(button) {
  const dialog = likersDialog(button);
  if (!dialog) return;
  if (dialog.open) return dialog.close();
  if (matchMedia(PHONE).matches) dialog.showModal(); // a bottom sheet
  else dialog.show(); // a popover under the button
  button.setAttribute("aria-expanded", "true");
  dialog.addEventListener("close", () => button.setAttribute("aria-expanded", "false"), { once: true });
  loadLikers(button, dialog);
}

/** A click outside an open likers popover (or on a sheet's backdrop) closes it. */
function closeLikersOutside(target) {
  for (const dialog of document.querySelectorAll("dialog.likers[open]")) {
    const anchor = dialog.closest(".likers-anchor");
    const onBackdrop = target === dialog; // clicks on a modal's ::backdrop target the dialog
    if (onBackdrop || !anchor?.contains(target)) /** @type {HTMLDialogElement} */ (dialog).close();
  }
}

// ---- share links -----------------------------------------------------------------------

async function share(button) {
  if (button.hasAttribute("data-signed-out")) return copy(button.dataset.url || location.href);
  try {
    const { url } = await request("POST", `/tracks/${encodeURIComponent(button.dataset.share)}/share`);
    await copy(url, "share link copied: you'll see who listens through it in your portal");
  } catch (e) {
    say(e.message, "error");
  }
}

/** The visit through a ?ref= link, reported once per page and code. */
const reported = new Set();
function reportVisit() {
  const page = document.querySelector(".track-page[data-track-id]");
  const ref = new URLSearchParams(location.search).get("ref");
  if (!(page instanceof HTMLElement) || !ref || !/^[\w-]{1,16}$/.test(ref)) return;
  const key = `${page.dataset.trackId}:${ref}`;
  if (reported.has(key)) return;
  reported.add(key);
  fetch(`/tracks/${encodeURIComponent(page.dataset.trackId ?? "")}/ref/${encodeURIComponent(ref)}/click`, {
    method: "POST",
    credentials: "same-origin",
  }).catch(() => {}); // a lost visit is not the visitor's problem
}

// ---- comments --------------------------------------------------------------------------

/** @param {Element} el */
const section = (el) => /** @type {HTMLElement|null} */ (el.closest("[data-comments]"));

function pageTrack(el) {
  return trackOf(el.closest(".track-page") ?? document.querySelector(".track-page"));
}

/** Where the player is in this section's track, in ms (0 when it is not the current one). */
function positionMs(sec) {
  const p = player();
  if (!p?.track || String(p.track.id) !== sec.dataset.comments) return 0;
  return Math.max(0, Math.floor((Number(p.currentTime) || 0) * 1000));
}

function seek(button) {
  const seconds = (Number(button.dataset.commentSeek) || 0) / 1000;
  const p = player();
  const track = pageTrack(button);
  if (!p || !track) return;
  if (p.track?.id === track.id) {
    p.seek(seconds);
    if (p.paused) p.play({ user: true });
  } else p.playTrack(track, { start: seconds, user: true });
}

/** @type {WeakMap<HTMLFormElement, number>} the position captured when typing began */
const captured = new WeakMap();

function showPosition(form, ms) {
  const out = form.querySelector("[data-comment-position]");
  if (out) out.textContent = formatTime(ms / 1000);
}

function capture(form) {
  const sec = section(form);
  if (!sec || captured.has(form)) return;
  const ms = positionMs(sec);
  captured.set(form, ms);
  showPosition(form, ms);
}

/** While nothing is typed, the form shows where a comment would land now. */
function followPlayer() {
  for (const form of document.querySelectorAll("form[data-comment-form]")) {
    if (!(form instanceof HTMLFormElement) || captured.has(form)) continue;
    const sec = section(form);
    if (sec) showPosition(form, positionMs(sec));
  }
}

function commentItem(sec, comment) {
  const li = document.createElement("li");
  li.className = "comment";
  li.dataset.commentId = String(comment.id);
  li.dataset.at = String(comment.timestamp_ms);
  const at = formatTime(comment.timestamp_ms / 1000);
  const time = document.createElement("button");
  time.type = "button";
  time.className = "comment-time";
  time.dataset.commentSeek = String(comment.timestamp_ms);
  time.setAttribute("aria-label", `play from ${at}`);
  time.textContent = at;
  const body = document.createElement("div");
  body.className = "comment-body";
  const meta = document.createElement("p");
  meta.className = "comment-meta";
  const author = document.createElement("a");
  author.className = "comment-author";
  author.href = `/u/${encodeURIComponent(comment.author.handle)}`;
  author.textContent = comment.author.display_name || comment.author.handle;
  const when = document.createElement("span");
  when.className = "hint";
  when.textContent = comment.updated_at ? "just now · edited" : "just now";
  meta.append(author, " ", when);
  const text = document.createElement("p");
  text.className = "comment-text";
  text.dataset.commentText = "";
  text.textContent = comment.text;
  const actions = document.createElement("div");
  actions.className = "comment-actions";
  const button = (label, attr, extra = "") => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `link-button ${extra}`.trim();
    b.setAttribute(attr, "");
    b.textContent = label;
    return b;
  };
  actions.append(button("share", "data-comment-share"));
  if (sec.dataset.me === comment.author.did) {
    actions.append(" ", button("edit", "data-comment-edit"), " ", button("delete", "data-comment-delete", "link-danger"));
  } else {
    const report = button("report", "data-report"); // report.js opens its dialog
    report.dataset.report = "comment";
    report.dataset.reportId = String(comment.id);
    actions.append(" ", report);
  }
  body.append(meta, text, actions);
  li.append(time, body);
  return li;
}

/** Count, the "none yet" line, the limit notice and the form, from the list as it is. */
function refreshSection(sec) {
  const count = sec.querySelectorAll("[data-comment-list] > .comment").length;
  const limit = Number(sec.dataset.limit) || 20;
  const counter = sec.querySelector("[data-comment-count]");
  if (counter) counter.textContent = String(count);
  const none = sec.querySelector("[data-comments-none]");
  if (none instanceof HTMLElement) none.hidden = count > 0;
  const full = sec.querySelector("[data-comments-full]");
  if (full instanceof HTMLElement) full.hidden = count < limit;
  const form = sec.querySelector("[data-comment-form]");
  if (form instanceof HTMLElement) form.hidden = count >= limit;
}

/** Insert in position order (after comments at the same moment: they are older). */
function place(sec, li) {
  const list = sec.querySelector("[data-comment-list]");
  if (!list) return;
  const at = Number(li.dataset.at);
  const after = [...list.children].find((other) => Number(/** @type {HTMLElement} */ (other).dataset.at) > at);
  list.insertBefore(li, after ?? null);
}

async function postComment(form) {
  const sec = section(form);
  const textarea = form.querySelector("textarea");
  if (!sec || !textarea) return;
  const text = textarea.value.trim();
  if (!text) return say("write something first", "error");
  capture(form); // typed without a keystroke event (paste, autofill): capture now
  const submit = form.querySelector("[type=submit]");
  if (submit instanceof HTMLButtonElement) submit.disabled = true;
  try {
    const comment = await request("POST", `/tracks/${encodeURIComponent(sec.dataset.comments ?? "")}/comments`, {
      text,
      timestamp_ms: captured.get(form) ?? 0,
    });
    const li = commentItem(sec, comment);
    place(sec, li);
    textarea.value = "";
    captured.delete(form);
    followPlayer();
    refreshSection(sec);
    say(`comment posted at ${formatTime(comment.timestamp_ms / 1000)}`, "success");
  } catch (e) {
    say(e.message, "error");
    if (/maximum/.test(e.message)) {
      const full = sec.querySelector("[data-comments-full]");
      if (full instanceof HTMLElement) full.hidden = false;
      form.hidden = true;
    }
  } finally {
    if (submit instanceof HTMLButtonElement) submit.disabled = false;
  }
}

function startEdit(button) {
  const li = button.closest(".comment");
  const text = li?.querySelector("[data-comment-text]");
  if (!li || !text || li.querySelector("form")) return;
  const form = document.createElement("form");
  form.className = "comment-edit";
  form.dataset.commentEditForm = "";
  form.setAttribute("hx-boost", "false");
  const area = document.createElement("textarea");
  area.name = "text";
  area.rows = 2;
  area.maxLength = 1000;
  area.required = true;
  area.value = text.textContent ?? "";
  area.setAttribute("aria-label", "edit your comment");
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "button button-small";
  save.textContent = "save";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "button button-small button-quiet";
  cancel.dataset.commentCancel = "";
  cancel.textContent = "cancel";
  form.append(area, save, cancel);
  text.hidden = true;
  text.after(form);
  area.focus();
}

function endEdit(form) {
  const li = form.closest(".comment");
  const text = li?.querySelector("[data-comment-text]");
  if (text instanceof HTMLElement) text.hidden = false;
  form.remove();
}

async function saveEdit(form) {
  const li = form.closest(".comment");
  const area = form.querySelector("textarea");
  if (!(li instanceof HTMLElement) || !area) return;
  try {
    const comment = await request("PATCH", `/tracks/comments/${encodeURIComponent(li.dataset.commentId ?? "")}`, {
      text: area.value.trim(),
    });
    const text = li.querySelector("[data-comment-text]");
    if (text) text.textContent = comment.text;
    const when = li.querySelector(".comment-meta .hint");
    if (when && comment.updated_at && !/edited/.test(when.textContent ?? "")) when.textContent += " · edited";
    endEdit(form);
    say("comment saved", "success");
  } catch (e) {
    say(e.message, "error");
  }
}

async function deleteComment(button) {
  const li = button.closest(".comment");
  const sec = section(button);
  if (!(li instanceof HTMLElement) || !sec || !confirm("delete this comment?")) return;
  try {
    await request("DELETE", `/tracks/comments/${encodeURIComponent(li.dataset.commentId ?? "")}`);
    li.remove();
    refreshSection(sec);
    say("comment deleted", "success");
  } catch (e) {
    say(e.message, "error");
  }
}

function shareComment(button) {
  const sec = section(button);
  const li = button.closest(".comment");
  if (!sec || !(li instanceof HTMLElement)) return;
  const seconds = Math.floor((Number(li.dataset.at) || 0) / 1000);
  const base = sec.dataset.pageUrl || `${location.origin}${location.pathname}`;
  copy(`${base}?t=${seconds}`, `link to ${formatTime(seconds)} copied`);
}

// ---- binding ---------------------------------------------------------------------------

let boundPlayer = null;
function bindPlayer() {
  const p = player();
  if (!p || p === boundPlayer) return;
  boundPlayer = p;
  p.addEventListener("timeupdate", followPlayer);
  p.addEventListener("trackchange", followPlayer);
}

function onPage() {
  bindPlayer();
  reportVisit();
  followPlayer();
}

export function initSocial() {
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    closeLikersOutside(target);
    const el = target.closest(
      "[data-like], [data-likers], [data-likers-close], [data-share], [data-comment-seek], [data-comment-share], [data-comment-edit], [data-comment-delete], [data-comment-cancel]",
    );
    if (!(el instanceof HTMLElement)) return;
    if (el.matches("[data-like]")) toggleLike(el);
    else if (el.matches("[data-likers]")) openLikers(el);
    else if (el.matches("[data-likers-close]")) el.closest("dialog")?.close();
    else if (el.matches("[data-share]")) share(el);
    else if (el.matches("[data-comment-seek]")) seek(el);
    else if (el.matches("[data-comment-share]")) shareComment(el);
    else if (el.matches("[data-comment-edit]")) startEdit(el);
    else if (el.matches("[data-comment-delete]")) deleteComment(el);
    else if (el.matches("[data-comment-cancel]")) endEdit(el.closest("form"));
    else return;
    event.preventDefault();
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.matches("[data-comment-form]")) (event.preventDefault(), postComment(form));
    else if (form.matches("[data-comment-edit-form]")) (event.preventDefault(), saveEdit(form));
  });
  // typing starts at the moment the player is at: that is the comment's position
  document.addEventListener("input", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form[data-comment-form]") : null;
    if (!(form instanceof HTMLFormElement)) return;
    if (/** @type {HTMLTextAreaElement} */ (event.target).value.trim()) capture(form);
    else (captured.delete(form), followPlayer()); // cleared: follow the player again
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const dialog of document.querySelectorAll("dialog.likers[open]")) /** @type {HTMLDialogElement} */ (dialog).close();
  });
  document.addEventListener("htmx:afterSettle", onPage);
  onPage();
}
