// Small shared helpers.

/**
 * @typedef {{id: number, title: string, artist: string, artist_url?: string, url?: string,
 *   audio_url: string, image_url?: string|null, album?: string|null, duration?: number|null,
 *   loudness_lufs?: number|null, sensitive_art?: boolean}} Track
 */

/** 83 → "1:23", 3723 → "1:02:03"; anything unusable → "0:00". */
export function formatTime(seconds) {
  const s = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const pad = (n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export const clamp = (value, min, max) => Math.min(max, Math.max(min, value));

export const byId = (id) => document.getElementById(id);

// localStorage throws in some privacy modes and sandboxed embeds: that must never break playback
export function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function storageSet(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* the value just won't persist */
  }
}

/**
 * A boolean setting: <html data-NAME> (the account's setting, server-rendered) wins, then
 * localStorage "plyr.NAME", then the default. Read on every use so changes apply at once.
 * @param {"autoAdvance"|"normalize"|"showSensitiveArtwork"} name
 */
export function setting(name, fallback = true) {
  for (const value of [document.documentElement.dataset[name], storageGet(`plyr.${name}`)]) {
    if (value === "true" || value === "false") return value === "true";
  }
  return fallback;
}

/** @returns {Track|null} the JSON in an element's data-track, null when absent or invalid */
export function trackOf(el) {
  try {
    const track = JSON.parse(el?.getAttribute("data-track") || "null");
    return track?.id != null && track.audio_url ? track : null;
  } catch {
    return null;
  }
}

export function sameOrigin(url) {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/** fn at most once per `ms`, with a trailing call so the last value always lands. */
export function throttle(fn, ms) {
  let last = 0;
  let timer = 0;
  return () => {
    clearTimeout(timer);
    const wait = last + ms - Date.now();
    const run = () => ((last = Date.now()), fn());
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
}
