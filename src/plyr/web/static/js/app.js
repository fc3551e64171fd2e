// Entry module: the queue and player are built once and outlive htmx's <main> swaps. Renders the
// footer player, handles data-action clicks by delegation and re-syncs the page after swaps.
// Elements are looked up when used: any may be missing (embeds) or replaced (history restore).
import { byId, clamp, formatTime, trackOf } from "./format.js";
import { Jams } from "./jam.js";
import { bindJamBar, joinFromPage } from "./jam-bar.js";
import { bindKeys } from "./keys.js";
import { Player, bindMediaSession } from "./player.js";
import { Queue, bindQueuePanel, localStore, persistQueue } from "./queue.js";
import { serverStore, signedIn } from "./queue-sync.js";
import { markIfSensitive, markSensitive } from "./sensitive.js";
import { initToasts, toast } from "./toast.js";
import { Waveform, loadPeaks } from "./waveform.js";

const queue = new Queue();
const player = new Player(queue);
const jams = new Jams(player, queue, { did: byId("jam-bar")?.dataset.did ?? null });
initToasts();
bindJamBar(jams, player);
bindMediaSession(player);
const panel = bindQueuePanel(queue, (index) => {
  if (index === queue.index && player.track) player.toggle({ user: true });
  else player.go(index, { user: true });
});
bindKeys({ player, toggleQueue: panel.toggle });

const attr = (id, name, value) => byId(id)?.setAttribute(name, String(value));
const playing = () => !!player.track && !player.paused;

// ---- tab title: "{title} - {artist} • plyr" while playing, the page's own otherwise

let pageTitle = document.title;
let playingTitle = "";

function renderTitle() {
  const track = player.track;
  playingTitle = playing() ? `${track?.title} - ${track?.artist} • plyr` : "";
  if (document.title !== (playingTitle || pageTitle)) document.title = playingTitle || pageTitle;
}

// ---- footer

/** @type {Waveform|null} */
let wave = null;
/** @type {number[]|null} */
let peaks = null;
/** @type {number|null} where a pointer drag on the seek bar is, until released */
let dragFraction = null;
let shownSecond = -1;
/** @type {Set<Waveform>} track page waveforms, by the track id they show */
const pageWaves = new Set();
/** @type {WeakMap<Waveform, number>} */
const waveIds = new WeakMap();

/** The waveform on #player-wave, rebuilt when the canvas was replaced. */
function playerWave() {
  const canvas = byId("player-wave");
  if (!(canvas instanceof HTMLCanvasElement)) return null;
  if (wave?.canvas !== canvas) {
    wave?.destroy();
    wave = new Waveform(canvas);
    wave.setPeaks(peaks);
  }
  return wave;
}

/** A boosted link's URL is read by htmx when it processes the link: process it again. */
function setLink(id, text, href) {
  const link = byId(id);
  if (!link) return;
  link.textContent = text;
  if (href) link.setAttribute("href", href);
  else link.removeAttribute("href");
  /** @type {any} */ (window).htmx?.process(link);
}

function renderTrack() {
  const track = player.track;
  attr("player", "data-idle", !track);
  const art = byId("player-art");
  if (art instanceof HTMLImageElement) {
    if (track?.image_url) art.src = track.image_url;
    else art.removeAttribute("src");
    art.hidden = !track?.image_url;
    // a page's track says; one from the JSON API (a restored queue) is looked up
    if (typeof track?.sensitive_art === "boolean") markSensitive(art, track.sensitive_art);
    else markIfSensitive(art, track?.image_url);
  }
  setLink("player-title", track?.title ?? "", track?.url);
  setLink("player-artist", track?.artist ?? "", track?.artist_url);
  peaks = null;
  playerWave()?.setPeaks(null);
  if (track) {
    loadPeaks(`/tracks/${encodeURIComponent(track.id)}/waveform`).then((p) => {
      if (player.track !== track) return;
      peaks = p;
      playerWave()?.setPeaks(p);
    });
  }
  renderDuration();
}

function renderState() {
  attr("player-play", "aria-label", playing() ? "pause" : "play");
  attr("player-play", "data-state", playing() ? "playing" : "paused");
  renderTitle();
  markRows();
  renderProgress();
  frames();
}

function renderDuration() {
  const el = byId("player-duration");
  if (el) el.textContent = formatTime(player.duration);
  attr("player-seek", "aria-valuemax", Math.round(player.duration));
  shownSecond = -1;
}

function renderProgress() {
  const duration = player.duration;
  const time = dragFraction != null ? dragFraction * duration : player.currentTime;
  const fraction = duration > 0 ? time / duration : 0;
  if (Math.floor(time) !== shownSecond) {
    shownSecond = Math.floor(time);
    const label = byId("player-time");
    if (label) label.textContent = formatTime(time);
    attr("player-seek", "aria-valuenow", shownSecond);
    attr("player-seek", "aria-valuetext", `${formatTime(time)} of ${formatTime(duration)}`);
  }
  playerWave()?.setProgress(fraction);
  for (const w of pageWaves) w.setProgress(waveIds.get(w) === player.track?.id ? fraction : 0);
}

/** Smooth progress while playing: one frame loop at a time, ending when paused or hidden. */
let framing = false;
function frames() {
  if (framing) return;
  const step = () => {
    framing = playing() && !document.hidden;
    if (!framing) return;
    renderProgress();
    requestAnimationFrame(step);
  };
  step();
}

/** The buffered range around the playhead: the one that matters to the listener. */
function renderBuffered() {
  const bar = byId("player-buffered");
  if (!bar) return;
  const { audio, duration } = player;
  let [start, end] = [0, 0];
  for (let i = 0; player.loaded && i < audio.buffered.length; i++) {
    if (audio.buffered.start(i) <= audio.currentTime + 0.5 && audio.buffered.end(i) >= audio.currentTime) {
      [start, end] = [audio.buffered.start(i), audio.buffered.end(i)];
    }
  }
  bar.style.left = `${duration > 0 ? (start / duration) * 100 : 0}%`;
  bar.style.width = `${duration > 0 ? (Math.min(end, duration) - start) / duration * 100 : 0}%`;
}

function renderVolume() {
  const slider = byId("player-volume");
  if (slider instanceof HTMLInputElement) slider.value = String(player.muted ? 0 : player.volume);
  attr("player-mute", "aria-pressed", player.muted);
}

function renderModes() {
  attr("player-shuffle", "aria-pressed", queue.shuffled);
  attr("player-repeat", "data-mode", queue.repeat);
  attr("player-repeat", "aria-label", `repeat: ${queue.repeat === "none" ? "off" : queue.repeat}`);
}

function renderAll() {
  renderTrack();
  renderState();
  renderVolume();
  renderModes();
  renderBuffered();
}

player.addEventListener("trackchange", (e) => {
  const { track, restored } = /** @type {CustomEvent} */ (e).detail;
  renderTrack();
  renderState();
  const live = byId("now-playing");
  if (live && track && !restored) live.textContent = `now playing: ${track.title} by ${track.artist}`;
});
player.addEventListener("statechange", renderState);
player.addEventListener("durationchange", renderDuration);
player.addEventListener("timeupdate", renderProgress);
player.addEventListener("timeupdate", renderBuffered);
player.addEventListener("progress", renderBuffered);
player.addEventListener("volumechange", renderVolume);
queue.addEventListener("change", renderModes);
document.addEventListener("visibilitychange", frames);

/** @type {Record<string, () => void>} */
const controls = {
  "player-play": () => player.toggle({ user: true }),
  "player-prev": () => player.previous({ user: true }),
  "player-next": () => player.next({ user: true }),
  "player-shuffle": () => queue.toggleShuffle(),
  "player-repeat": () => queue.cycleRepeat(),
  "player-mute": () => player.toggleMute(),
};

document.addEventListener("input", (e) => {
  if (e.target instanceof HTMLInputElement && e.target.id === "player-volume") player.setVolume(e.target.valueAsNumber);
});

// seek bar: a drag previews the position and seeks once, on release
document.addEventListener("pointerdown", (e) => {
  const bar = e.target instanceof Element ? e.target.closest("#player-seek") : null;
  if (!(bar instanceof HTMLElement) || !player.track || e.button !== 0) return;
  const follow = (/** @type {PointerEvent} */ ev) => {
    const box = bar.getBoundingClientRect();
    dragFraction = box.width ? clamp((ev.clientX - box.left) / box.width, 0, 1) : 0;
    renderProgress();
  };
  const end = (/** @type {PointerEvent} */ ev) => {
    bar.removeEventListener("pointermove", follow);
    bar.removeEventListener("pointerup", end);
    bar.removeEventListener("pointercancel", end);
    if (ev.type === "pointerup" && dragFraction != null) player.seek(dragFraction * player.duration);
    dragFraction = null;
    renderProgress();
  };
  bar.setPointerCapture?.(e.pointerId);
  follow(e);
  bar.addEventListener("pointermove", follow);
  bar.addEventListener("pointerup", end);
  bar.addEventListener("pointercancel", end);
});

document.addEventListener("keydown", (e) => {
  if (!(e.target instanceof Element && e.target.closest("#player-seek")) || e.altKey || e.ctrlKey || e.metaKey) return;
  const step = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5 }[e.key];
  if (step) player.seekBy(step);
  else if (e.key === "Home" || e.key === "End") player.seek(e.key === "Home" ? 0 : player.duration);
  else return;
  e.preventDefault();
});

// ---- rows and data-action buttons in <main>

/** @type {WeakMap<Element, number|undefined>} */
const rowIds = new WeakMap();

/** data-current="true" on the current track's rows, data-playing="true" while it plays. */
function markRows() {
  const id = player.track?.id;
  for (const row of document.querySelectorAll(".track-row[data-track]")) {
    if (!rowIds.has(row)) rowIds.set(row, trackOf(row)?.id);
    const current = id != null && rowIds.get(row) === id;
    mark(row, "data-current", current);
    mark(row, "data-playing", current && playing());
  }
}

function mark(row, name, on) {
  if (on) row.setAttribute(name, "true");
  else row.removeAttribute(name);
}

/** The rows of a [data-tracklist] (not of a list nested in it). */
function rowsOf(list) {
  const rows = [...list.querySelectorAll(".track-row[data-track]")];
  return (rows.length ? rows : [...list.querySelectorAll("[data-track]")]).filter((r) => r.closest("[data-tracklist]") === list && trackOf(r));
}

/** The list a "play all" button belongs to: its own, else the first one in its nearest section. */
function listFor(el) {
  for (let node = el; node; node = node.parentElement) {
    const list = node.closest("[data-tracklist]") ?? node.querySelector("[data-tracklist]");
    if (list) return list;
  }
  return null;
}

function onAction(el, action) {
  if (action === "play-all") {
    const rows = rowsOf(listFor(el) ?? el);
    return rows.length && player.playList(rows.map(trackOf), 0, { user: true });
  }
  const holder = el.hasAttribute("data-track") ? el : el.closest("[data-track]");
  const track = trackOf(holder);
  if (!holder || !track) return;
  if (action === "queue-next" || action === "queue-add") {
    if (action === "queue-add") queue.add(track);
    else queue.playNext(track);
    return toast(action === "queue-add" ? `added ${track.title} to the queue` : `playing ${track.title} next`, "success", { timeout: 2500 });
  }
  const start = parseFloat(el.getAttribute("data-start") ?? "");
  const from = start > 0 ? start : null;
  // the current track's play button pauses and resumes rather than restarting it
  if (player.track?.id === track.id && from == null) return player.toggle({ user: true });
  const owner = holder.closest("[data-tracklist]");
  const rows = owner ? rowsOf(owner) : [];
  if (rows.includes(holder)) player.playList(rows.map(trackOf), rows.indexOf(holder), { start: from ?? 0, user: true });
  else player.playTrack(track, { start: from, user: true });
}

document.addEventListener("click", (e) => {
  const target = e.target instanceof Element ? e.target : null;
  const control = target?.closest(Object.keys(controls).map((id) => `#${id}`).join());
  if (control) return controls[control.id]();
  const el = target?.closest("[data-action]");
  const action = el?.getAttribute("data-action") ?? "";
  if (!el || !["play", "play-all", "queue-next", "queue-add"].includes(action)) return;
  e.preventDefault();
  onAction(el, action);
});

/** Draw the waveforms of track pages (canvas.waveform[data-peaks-url]); drop swapped-out ones. */
function attachPageWaves() {
  for (const w of pageWaves) {
    if (w.canvas.isConnected) continue;
    pageWaves.delete(w);
    w.destroy();
  }
  const known = new Set([...pageWaves].map((w) => w.canvas));
  for (const canvas of document.querySelectorAll("canvas.waveform[data-peaks-url]")) {
    if (!(canvas instanceof HTMLCanvasElement) || known.has(canvas)) continue;
    const track = trackOf(canvas);
    const current = () => !!track && player.track?.id === track.id;
    const seekTo = (fraction) => {
      if (current()) player.seek(fraction * player.duration);
      else if (track) player.playTrack(track, { start: fraction * (Number(track.duration) || 0), user: true });
    };
    const w = new Waveform(canvas, seekTo, (seconds) => current() && player.seekBy(seconds));
    waveIds.set(w, track?.id);
    pageWaves.add(w);
    loadPeaks(canvas.dataset.peaksUrl ?? "").then((p) => w.setPeaks(p));
  }
  renderProgress();
}

// The settings page sets <html data-normalize / data-auto-advance>: apply at once.
new MutationObserver(() => {
  player.refreshOutput();
  player.maybePreload();
}).observe(document.documentElement, { attributeFilter: ["data-normalize", "data-auto-advance"] });

// ---- htmx navigation

function afterSwap() {
  // htmx has set the new page's <title>: that is the page's own title from now on
  if (document.title && document.title !== playingTitle) pageTitle = document.title;
  renderTitle();
  markRows();
  attachPageWaves();
  if (jamsReady) joinFromPage(jams);
}
document.addEventListener("htmx:afterSettle", afterSwap);
// the back/forward snapshot should carry the page's title, not the playing one
document.addEventListener("htmx:beforeHistorySave", () => (document.title = pageTitle));
document.addEventListener("htmx:historyRestore", () => {
  renderAll();
  panel.refresh();
  afterSwap();
});

// ---- persistence

// the own queue first, then the jam (if any) takes over the player and sets it aside
let jamsReady = false;
const persisted = persistQueue(queue, signedIn() ? serverStore() : localStore(), { position: () => player.currentTime, playing, held: () => jams.active });
persisted.then(async ({ save, restore }) => {
  jams.own = { save, restore };
  await jams.resume();
  jamsReady = true;
  joinFromPage(jams);
});
persisted.then(({ save, savePosition }) => {
  player.addEventListener("timeupdate", savePosition);
  let wasPlaying = playing();
  player.addEventListener("statechange", () => {
    if (wasPlaying && !playing()) save(); // the exact spot where playback stopped
    wasPlaying = playing();
  });
});

renderAll();
attachPageWaves();

/** For tests and debugging. */
Object.assign(window, { plyr: { player, queue, toast, jams } });
