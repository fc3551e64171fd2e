// The Cmd+K search dialog: keyword results as you type (150 ms debounce) and, for three
// characters or more, mood results from /search/semantic (500 ms debounce) appended after
// them with a "mood" badge and the tags that matched, minus the tracks already listed.
// Each kind keeps the sequence number of its newest request, so a slow answer to an older
// query never overwrites a newer one; mood results show only beside the keyword results of
// the same query. Arrow keys and Enter move across both groups.
import { request, visit } from "./http.js";

const KEYWORD_DELAY = 150;
const MOOD_DELAY = 500;
const MOOD_MIN = 3;
const MAX_QUERY = 100;

/** @typedef {{label: string, url: string, trackId?: number, tags?: string[], mood?: boolean}} Item */

const state = {
  keywordTimer: 0,
  moodTimer: 0,
  keywordSeq: 0,
  moodSeq: 0,
  /** @type {{q: string, items: Item[]} | null} */
  keyword: null,
  /** @type {{q: string, items: Item[]}} */
  mood: { q: "", items: [] },
};

const clean = (query) => query.trim().slice(0, MAX_QUERY);
const path = encodeURIComponent;
const describe = {
  track: (r) => ({ label: `${r.title} — ${r.artist_display_name || r.artist_handle}`, url: `/track/${r.id}`, trackId: r.id }),
  artist: (r) => ({ label: `${r.display_name || r.handle} · @${r.handle}`, url: `/u/${path(r.handle)}` }),
  album: (r) => ({ label: `${r.title} — album by @${r.artist_handle}`, url: `/u/${path(r.artist_handle)}/album/${path(r.slug)}` }),
  tag: (r) => ({ label: `#${r.name} · ${r.track_count}`, url: `/tag/${path(r.name)}` }),
  playlist: (r) => ({ label: `${r.name} — playlist by @${r.owner_handle}`, url: `/playlist/${r.id}` }),
};

export const searchDialog = () => /** @type {HTMLDialogElement} */ (document.getElementById("search-dialog"));
const resultsList = () => document.getElementById("search-results");

export function openSearch() {
  const dialog = searchDialog();
  if (!dialog) return;
  if (!dialog.open) dialog.showModal();
  const input = /** @type {HTMLInputElement} */ (document.getElementById("search-input"));
  input.focus();
  input.select();
}

/** The input changed: schedule both searches (mood only for three characters or more). */
export function queueSearch(value) {
  clearTimeout(state.keywordTimer);
  clearTimeout(state.moodTimer);
  state.keywordTimer = setTimeout(() => keywordSearch(value), KEYWORD_DELAY);
  if (clean(value).length >= MOOD_MIN) {
    state.moodTimer = setTimeout(() => moodSearch(value), MOOD_DELAY);
  } else {
    state.moodSeq++; // an answer still on its way is for a query no longer typed
    state.mood = { q: "", items: [] };
  }
}

async function keywordSearch(value) {
  const seq = ++state.keywordSeq;
  const q = clean(value);
  if (q.length < 2) {
    state.keyword = null;
    resultsList().replaceChildren();
    return;
  }
  let results = [];
  try {
    results = (await request("GET", `/search/?q=${path(q)}&limit=8`)).results;
  } catch {
    results = []; // a 422 (nothing searchable) or a network error: nothing to show
  }
  if (seq !== state.keywordSeq) return; // a newer query is on its way
  state.keyword = { q, items: results.filter((r) => describe[r.type]).map((r) => describe[r.type](r)) };
  render();
}

async function moodSearch(value) {
  const seq = ++state.moodSeq;
  const q = clean(value);
  let items = [];
  try {
    const found = await request("GET", `/search/semantic?q=${path(q)}&limit=5`);
    if (found.available) {
      items = found.results.map((r) => ({ ...describe.track(r), tags: r.matched_tags || [], mood: true }));
    }
  } catch {
    items = []; // mood search is extra: an error shows nothing more, and no error
  }
  if (seq !== state.moodSeq) return;
  state.mood = { q, items };
  if (state.keyword?.q === q) render();
}

/** Keyword results, then the mood results of the same query not already among them. */
function itemsToShow() {
  const keyword = state.keyword;
  if (!keyword) return [];
  const listed = new Set(keyword.items.map((i) => i.trackId).filter(Boolean));
  const mood = state.mood.q === keyword.q ? state.mood.items.filter((i) => !listed.has(i.trackId)) : [];
  return [...keyword.items, ...mood];
}

function option(item, selected) {
  const li = document.createElement("li");
  li.setAttribute("role", "option");
  li.setAttribute("aria-selected", selected ? "true" : "false");
  const a = document.createElement("a");
  a.href = item.url;
  a.textContent = item.label;
  if (item.mood) {
    li.className = "search-mood";
    const badge = Object.assign(document.createElement("span"), { className: "badge badge-mood", textContent: "mood" });
    const tags = Object.assign(document.createElement("span"), { className: "search-tags", textContent: item.tags.join(" · ") });
    a.append(badge);
    if (item.tags.length) a.append(tags);
  }
  li.append(a);
  return li;
}

function render() {
  const list = resultsList();
  const items = itemsToShow();
  if (!items.length) {
    const none = Object.assign(document.createElement("li"), { className: "search-none", textContent: "nothing matches" });
    list.replaceChildren(none);
    return;
  }
  const q = state.keyword.q;
  items.push({ label: `all results for “${q}”`, url: `/search?q=${path(q)}` });
  // mood results arriving later keep the option the arrow keys had reached
  const was = list.dataset.q === q ? list.querySelector('[aria-selected="true"] a')?.getAttribute("href") : null;
  const keep = items.some((i) => i.url === was) ? was : items[0].url;
  list.dataset.q = q;
  list.replaceChildren(...items.map((item) => option(item, item.url === keep)));
}

export function moveSelection(step) {
  const options = [...document.querySelectorAll("#search-results [role=option]")];
  if (!options.length) return;
  const current = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
  const next = (current + step + options.length) % options.length;
  options.forEach((o, i) => o.setAttribute("aria-selected", i === next ? "true" : "false"));
  options[next].scrollIntoView({ block: "nearest" });
}

export function openSelected(event) {
  const selected = document.querySelector('#search-results [aria-selected="true"] a');
  if (!selected) return;
  event.preventDefault();
  searchDialog().close();
  visit(selected.getAttribute("href"));
}
