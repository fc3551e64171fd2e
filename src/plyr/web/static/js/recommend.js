// Discovery in the editors. On the owner's playlist page: tracks that sound like the
// playlist's, each with a "+" that adds it and then reloads the page (the track joins the
// list, the suggestions are asked for again). On the portal's track forms: the tags a
// track's audio suggests, as chips under its tag input; a click adds the tag to the input.
// Both sections stay hidden while there is nothing to suggest (not analysed, or failing).
import { request, visit } from "./http.js";
import { markIfSensitive } from "./sensitive.js";
import { say } from "./toast.js";

// ---- playlist recommendations ---------------------------------------------------------

function recommendedRow(track) {
  const li = document.createElement("li");
  li.className = "recommended-row";
  li.dataset.trackId = String(track.id);
  const meta = document.createElement("div");
  meta.className = "row-meta";
  const title = Object.assign(document.createElement("a"), { className: "row-title", href: `/track/${track.id}`, textContent: track.title });
  const artist = Object.assign(document.createElement("a"), {
    className: "row-artist",
    href: `/u/${encodeURIComponent(track.artist.handle)}`,
    textContent: track.artist.display_name || track.artist.handle,
  });
  meta.append(title, artist);
  const art = track.thumbnail_url
    ? Object.assign(document.createElement("img"), { src: track.thumbnail_url, alt: "", width: 40, height: 40, loading: "lazy" })
    : Object.assign(document.createElement("span"), { className: "art-placeholder" });
  art.classList.add("recommended-art");
  if (art instanceof HTMLImageElement) markIfSensitive(art, track.thumbnail_url);
  art.setAttribute("aria-hidden", "true");
  const add = Object.assign(document.createElement("button"), { type: "button", className: "icon-button add-recommended", textContent: "+" });
  add.dataset.addRecommended = String(track.id);
  add.setAttribute("aria-label", `add ${track.title} to this playlist`);
  li.append(art, meta, add);
  return li;
}

async function loadRecommendations(section) {
  const list = section.querySelector("[data-recommended-list]");
  const status = section.querySelector("[data-recommended-status]");
  section.hidden = false;
  section.setAttribute("aria-busy", "true");
  status.hidden = false;
  let found = { tracks: [], available: false };
  try {
    found = await request("GET", `/lists/playlists/${section.dataset.playlistRecommendations}/recommendations?limit=3`);
  } catch {
    /* suggestions are a nicety: a failure hides them */
  }
  if (!section.isConnected) return;
  section.removeAttribute("aria-busy");
  status.hidden = true;
  list.replaceChildren(...found.tracks.map(recommendedRow));
  section.hidden = !found.available || !found.tracks.length;
}

async function addRecommended(button) {
  const section = button.closest("[data-playlist-recommendations]");
  button.disabled = true;
  try {
    await request("POST", `/lists/playlists/${section.dataset.playlistRecommendations}/tracks`, { track_id: Number(button.dataset.addRecommended) });
    say("added to this playlist", "success");
    visit(location.pathname + location.search, { push: false });
  } catch (e) {
    button.disabled = false;
    say(e.message, "error");
  }
}

// ---- suggested tags -------------------------------------------------------------------

const tagsOf = (input) => input.value.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);

async function loadTagChips(box) {
  let found = { tags: [], available: false };
  try {
    found = await request("GET", `/tracks/${box.dataset.recommendedTags}/recommended-tags?limit=5`);
  } catch {
    return; // stays hidden
  }
  const input = box.closest("form").querySelector("[data-tags]");
  const have = new Set(tagsOf(input));
  const chips = found.tags
    .filter((tag) => !have.has(tag.name))
    .map((tag) => {
      const chip = Object.assign(document.createElement("button"), { type: "button", className: "chip chip-suggested", textContent: `+ ${tag.name}` });
      chip.dataset.suggestedTag = tag.name;
      chip.setAttribute("aria-label", `add the tag ${tag.name}`);
      return chip;
    });
  box.querySelector("[data-tag-chips]").replaceChildren(...chips);
  box.hidden = !chips.length;
}

function takeSuggestedTag(chip) {
  const box = chip.closest("[data-recommended-tags]");
  const input = /** @type {HTMLInputElement} */ (box.closest("form").querySelector("[data-tags]"));
  const tags = tagsOf(input);
  if (!tags.includes(chip.dataset.suggestedTag)) tags.push(chip.dataset.suggestedTag);
  input.value = tags.join(", ");
  chip.remove();
  box.hidden = !box.querySelector("[data-suggested-tag]");
  input.focus();
}

// a portal can list many tracks: ask for a form's suggestions once it scrolls into view
// (the form's: the hidden box itself never intersects)
const onScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    onScreen.unobserve(entry.target);
    loadTagChips(entry.target.querySelector("[data-recommended-tags]"));
  }
});

function load() {
  for (const section of document.querySelectorAll("[data-playlist-recommendations]:not([data-seen])")) {
    /** @type {HTMLElement} */ (section).dataset.seen = "true";
    loadRecommendations(section);
  }
  for (const box of document.querySelectorAll("[data-recommended-tags]:not([data-seen])")) {
    /** @type {HTMLElement} */ (box).dataset.seen = "true";
    onScreen.observe(box.closest("form"));
  }
}

export function initRecommend() {
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const add = /** @type {HTMLButtonElement | null} */ (target?.closest("[data-add-recommended]"));
    if (add) addRecommended(add);
    const chip = /** @type {HTMLElement | null} */ (target?.closest("[data-suggested-tag]"));
    if (chip) takeSuggestedTag(chip);
  });
  document.addEventListener("htmx:afterSettle", load);
  load();
}
