// The queue kept on the server (GET/PUT /queue/), so a listener finds it on every device.
// Writes are debounced and conditional (If-Match: the revision we last saw); on 409 another
// device won: fetch its queue and adopt it. localStorage stays underneath for instant
// cross-tab updates and as the store of signed-out listeners.
import { localStore } from "./queue.js";

const DEBOUNCE_MS = 600; // a change to the queue itself
const POSITION_EVERY_MS = 15_000; // only the playback position moved
const MAX_TRACKS = 200; // track details fetched on restore

/** The player's shape of a track, from the API's Track object. */
export function playable(t) {
  return {
    id: t.id,
    title: t.title,
    artist: t.artist.display_name || t.artist.handle,
    artist_url: `/u/${t.artist.handle}`,
    url: `/track/${t.id}`,
    audio_url: t.audio_url,
    image_url: t.thumbnail_url || t.image_url,
    artwork_url: t.image_url,
    duration: t.duration,
    loudness_lufs: t.loudness_lufs,
  };
}

async function fetchTracks(ids) {
  const found = await Promise.all(
    ids.slice(0, MAX_TRACKS).map((id) =>
      fetch(`/tracks/${id}`, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null),
    ),
  );
  return found.filter(Boolean).map(playable);
}

/** @returns {import("./queue.js").QueueStore} */
export function serverStore(local = localStore()) {
  let revision = 0;
  let timer = 0;
  let pending = null;
  const listeners = [];

  const toServer = (state) => ({
    track_ids: state.tracks.map((t) => t.id),
    current_index: Math.max(0, Math.min(state.index, state.tracks.length - 1)),
    progress_ms: Math.max(0, Math.round((Number(state.position) || 0) * 1000)),
    shuffle: false,
    repeat: state.repeat || "none",
  });

  async function fetchState() {
    const response = await fetch("/queue/", { credentials: "same-origin" });
    if (!response.ok) return null;
    const body = await response.json();
    revision = body.revision;
    if (!body.revision) return null;
    const { track_ids: ids, current_index: index, progress_ms: ms, repeat } = body.state;
    const tracks = await fetchTracks(ids);
    const current = ids[index];
    const at = tracks.findIndex((t) => t.id === current);
    return { tracks, index: at >= 0 ? at : Math.min(index, tracks.length - 1), position: ms / 1000, repeat };
  }

  let lastShape = "";
  const shape = (state) => JSON.stringify([state.tracks.map((t) => t.id), state.index, state.repeat]);

  async function flush({ keepalive = false } = {}) {
    clearTimeout(timer);
    const state = pending;
    pending = null;
    if (!state) return;
    lastShape = shape(state);
    const response = await fetch("/queue/", {
      method: "PUT",
      keepalive, // a page being left still sends it
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "If-Match": `"${revision}"` },
      body: JSON.stringify({ state: toServer(state) }),
    }).catch(() => null);
    if (response?.ok) {
      revision = (await response.json()).revision;
    } else if (response?.status === 409) {
      const theirs = await fetchState().catch(() => null);
      if (theirs) listeners.forEach((fn) => fn(theirs));
    }
  }

  addEventListener("pagehide", () => flush({ keepalive: true }));

  return {
    async load() {
      const theirs = await fetchState().catch(() => null);
      return theirs ?? local.load();
    },
    async save(state) {
      await local.save(state); // other tabs hear it at once
      const structural = shape(state) !== lastShape;
      const waiting = pending !== null;
      pending = state;
      if (structural || !waiting) {
        clearTimeout(timer);
        timer = setTimeout(flush, structural ? DEBOUNCE_MS : POSITION_EVERY_MS);
      }
    },
    subscribe(fn) {
      listeners.push(fn);
      local.subscribe(fn);
    },
  };
}

/** Signed in (the page shows an account menu): the server keeps the queue. */
export const signedIn = () => !!document.querySelector(".account");
