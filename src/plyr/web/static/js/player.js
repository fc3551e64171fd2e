// The player: plays the queue's current entry on an <audio> "deck" kept out of the DOM (page swaps
// can't touch it) and preloads the next entry on another deck for gapless playback.
import { clamp, sameOrigin, setting, storageGet, storageSet, throttle } from "./format.js";
import { toast } from "./toast.js";

/** @typedef {import("./queue.js").Entry} Entry */
/** gain: its Web Audio GainNode, if routed; direct: its source is served by this origin.
 * @typedef {{el: HTMLAudioElement, gain: GainNode|null, entry: Entry|null, direct: boolean}} Deck */
/** A jam the player follows (jam.js): it hears the listener's play/pause/seek, and on a remote
 * (a tab that is not the jam's speaker) it says where the jam is instead of the audio element.
 * @typedef {{play(): void, pause(): void, seek(seconds: number): void, remote: boolean,
 *   position(): number, playing(): boolean}} JamHooks */

const PRELOAD_BEFORE_END = 15; // seconds
const RESTART_AFTER = 3; // "previous" restarts the track when further in than this
const EVENTS = ["play", "pause", "playing", "ended", "error", "timeupdate", "durationchange", "loadedmetadata", "progress", "seeking"];

/** The gain that brings a track to -14 LUFS, within [0.1, 2]; 1 when its loudness is unknown. */
export function normalizationGain(lufs) {
  return lufs == null || !Number.isFinite(+lufs) ? 1 : clamp(10 ** ((-14 - lufs) / 20), 0.1, 2);
}

/** @type {Map<string, Promise<boolean>>} */
const directCache = new Map();

/** Web Audio plays cross-origin sources as silence, and /audio/… may redirect to a CDN: only
 * same-origin URLs that a manual-redirect HEAD finds served directly are routed through it. */
function servedDirectly(url) {
  if (!sameOrigin(url)) return Promise.resolve(false);
  const href = new URL(url, location.href).href;
  if (!directCache.has(href)) {
    const init = /** @type {RequestInit} */ ({ method: "HEAD", redirect: "manual", credentials: "same-origin", cache: "no-store" });
    directCache.set(href, fetch(href, init).then((res) => res.ok, () => false));
  }
  return /** @type {Promise<boolean>} */ (directCache.get(href));
}

const refParam = () => new URLSearchParams(location.search).get("ref") ?? "";

/** Events: "trackchange" {track, previous, gapMs, restored} (also "plyr:trackchange" on document),
 * "statechange", "timeupdate", "durationchange", "progress", "volumechange", "blocked" (the
 * browser refused to start audio without a gesture). */
export class Player extends EventTarget {
  /** @param {import("./queue.js").Queue} queue */
  constructor(queue) {
    super();
    this.queue = queue;
    /** @type {Deck[]} */
    this.decks = [];
    this.deck = this.addDeck(); // the active one
    this.addDeck();
    /** @type {Entry|null} */
    this.entry = null;
    /** @type {{entry: Entry, deck: Deck|null, failed?: boolean}|null} the next entry, preloading */
    this.standby = null;
    /** @type {AudioContext|null} */
    this.ctx = null; // created on the first user-initiated play
    const volume = parseFloat(storageGet("plyr.volume") ?? "");
    this.volume = Number.isFinite(volume) ? clamp(volume, 0, 1) : 1;
    this.muted = false;
    this.wantPlay = false; // also while a load is in flight
    this.seq = 0; // bumped by every load, so stale async steps can tell
    this.intent = null; // how the load the next queue change causes starts
    this.pendingStart = null; // seek target until the new source has metadata
    this.pendingChange = null; // an auto-advance's trackchange, sent once the new deck plays
    this.failures = 0; // in a row
    this.listen = null; // forward playback heard, for play counting
    /** @type {JamHooks|null} */
    this.jam = null;
    queue.addEventListener("change", (e) => this.reconcile(/** @type {CustomEvent} */ (e).detail));
  }

  get audio() {
    return this.deck.el;
  }
  /** @returns {import("./format.js").Track|null} */
  get track() {
    return this.entry?.track ?? null;
  }
  /** False while a load is in flight. */
  get loaded() {
    return !!this.entry && this.deck.entry === this.entry;
  }
  get paused() {
    if (this.jam?.remote) return !this.jam.playing();
    return this.loaded ? this.audio.paused : !this.wantPlay;
  }
  get currentTime() {
    if (this.jam?.remote) return clamp(this.jam.position(), 0, this.duration || Infinity);
    return this.pendingStart ?? (this.loaded ? this.audio.currentTime : 0);
  }
  /** Whether this tab's speakers sound: not on a jam's remote. */
  get audible() {
    return !this.jam?.remote;
  }
  get duration() {
    const d = this.loaded ? this.audio.duration : NaN;
    return Number.isFinite(d) && d > 0 ? d : Number(this.track?.duration) || 0;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  addDeck() {
    const el = document.createElement("audio");
    el.preload = "auto";
    /** @type {Deck} */
    const deck = { el, gain: null, entry: null, direct: false };
    for (const type of EVENTS) el.addEventListener(type, (e) => this.onMedia(deck, e));
    this.decks.push(deck);
    return deck;
  }

  // ---- commands; user: called from a user gesture, where an AudioContext may start

  play({ user = false } = {}) {
    if (user) this.unlock();
    if (!this.entry) return this.queue.length && this.go(Math.max(0, this.queue.index), { user });
    this.jam?.play();
    this.wantPlay = true;
    if (this.loaded && this.audible) this.playElement();
    else this.emit("statechange");
  }

  pause() {
    this.jam?.pause();
    this.wantPlay = false;
    this.audio.pause();
    this.emit("statechange");
  }

  toggle(options) {
    if (this.paused) this.play(options);
    else this.pause();
  }

  next({ user = false } = {}) {
    const index = this.queue.nextIndex();
    if (index >= 0) this.go(index, { autoplay: !this.paused, user });
  }

  previous({ user = false } = {}) {
    if (this.currentTime > RESTART_AFTER || this.queue.index <= 0) this.seek(0);
    else this.go(this.queue.index - 1, { autoplay: !this.paused, user });
  }

  seek(seconds) {
    if (!this.entry || !Number.isFinite(seconds)) return;
    const t = clamp(seconds, 0, this.duration || Math.max(0, seconds));
    this.jam?.seek(t);
    this.pendingStart = this.loaded && this.audio.readyState >= 1 ? null : t;
    if (this.pendingStart == null) this.audio.currentTime = t;
    if (this.listen) this.listen.last = t; // skipped time is not heard time
    this.emit("timeupdate");
  }

  seekBy(delta) {
    this.seek(this.currentTime + delta);
  }

  setVolume(value) {
    this.volume = clamp(Number(value) || 0, 0, 1);
    if (this.volume > 0) this.muted = false;
    storageSet("plyr.volume", String(this.volume));
    this.refreshOutput();
  }

  toggleMute() {
    this.muted = !this.muted;
    this.refreshOutput();
  }

  /** Make queue item `index` current; the load follows the queue's change event. */
  go(index, { autoplay = true, start = 0, user = false } = {}) {
    this.withIntent({ autoplay, start }, user, () => this.queue.setIndex(index));
  }

  /** Play tracks[index] with the list as the queue (earlier tracks become history). */
  playList(tracks, index, { start = 0, user = false } = {}) {
    this.withIntent({ autoplay: true, start }, user, () => this.queue.replace(tracks, index));
  }

  /** Play one track now, inserted after the current one: the rest of the queue stays. */
  playTrack(track, { start = null, user = false } = {}) {
    if (this.track?.id !== track.id) return this.go(this.queue.playNext(track), { start: start ?? 0, user });
    if (start != null) this.seek(start);
    this.play({ user });
  }

  withIntent(intent, user, change) {
    if (user) this.unlock();
    this.intent = intent;
    change();
    this.intent = null; // when the queue did not change
  }

  refreshOutput() {
    this.decks.forEach((deck) => this.applyOutput(deck));
    this.emit("volumechange");
  }

  // ---- loading

  /** Load the queue's current entry when it changed; keep the preload in step. */
  reconcile({ reason, position }) {
    const { intent, queue } = this;
    this.intent = null;
    const passive = reason === "restore" || reason === "adopt" || reason === "jam"; // jam.js decides play/pause
    if (queue.current !== this.entry) {
      if (!queue.current) this.unload();
      else {
        const autoplay = intent ? intent.autoplay : !passive && !this.paused;
        this.load(queue.current, { autoplay, start: intent?.start ?? position ?? 0, passive, ...intent });
      }
    } else if (intent) {
      this.seek(intent.start); // the current entry again (a replayed row, repeat "all" of one track)
      if (intent.autoplay) this.play();
    } else if (reason === "adopt" && this.paused && Math.abs(position - this.currentTime) > 1) {
      this.seek(position); // another tab moved on while this one was paused
    }
    if (this.standby && this.standby.entry !== queue.items[queue.nextIndex()]) this.dropStandby();
    this.maybePreload();
  }

  /** @param {Entry} entry @param {{autoplay: boolean, start: number, passive?: boolean, endedAt?: number, gapless?: boolean}} o */
  async load(entry, { autoplay, start, passive = false, endedAt, gapless = false }) {
    const seq = ++this.seq;
    const { standby, track: previous } = this;
    this.entry = entry;
    this.wantPlay = autoplay;
    this.listen = { id: entry.track.id, heard: 0, last: start, reported: false, ref: undefined };
    this.pendingStart = start > 0 ? start : null;
    let deck = standby?.deck;
    if (standby?.entry === entry && deck) {
      this.standby = null; // preloaded: switch synchronously, no network wait
      if (deck !== this.deck) this.deck.el.pause();
    } else {
      this.dropStandby();
      this.deck.el.pause();
      deck = await this.deckFor(entry);
      if (seq !== this.seq) return; // superseded while probing
      deck.el.src = entry.track.audio_url;
    }
    this.deck = deck;
    if (this.pendingStart != null && deck.el.readyState >= 1) {
      deck.el.currentTime = this.pendingStart;
      this.pendingStart = null;
    }
    const change = { track: entry.track, previous, gapMs: null, restored: passive };
    if (endedAt != null) this.pendingChange = { change, endedAt };
    else this.emitChange(change);
    if (standby?.failed && standby.entry === entry) return this.onError(); // its preload failed
    if (this.wantPlay && !gapless) this.playElement(); // a gapless deck already plays
    for (const type of ["statechange", "durationchange", "timeupdate"]) this.emit(type);
    this.maybePreload();
  }

  unload() {
    const previous = this.track;
    this.seq++;
    this.dropStandby();
    Object.assign(this, { entry: null, wantPlay: false, pendingStart: null, listen: null });
    this.deck.entry = null;
    this.audio.removeAttribute("src");
    this.audio.load(); // stops it and its download
    this.emitChange({ track: null, previous, gapMs: null, restored: false });
    this.emit("statechange");
  }

  /** A free deck for `entry`, routed through Web Audio if allowed. */
  async deckFor(entry) {
    const direct = setting("normalize") && (await servedDirectly(entry.track.audio_url));
    const free = this.decks.filter((d) => d !== this.deck && d !== this.standby?.deck);
    // cross-origin sources need a plain deck
    const deck = (direct ? free.find((d) => d.gain) ?? free[0] : free.find((d) => !d.gain)) ?? this.addDeck();
    Object.assign(deck, { direct, entry });
    if (direct) this.connect(deck);
    this.applyOutput(deck); // before it starts: no loudness jump at a gapless boundary
    return deck;
  }

  /** Preload the next entry once the current one has < 15 s left (short tracks: at once). */
  maybePreload() {
    if (!this.loaded || this.standby || this.queue.repeat === "one" || !setting("autoAdvance")) return;
    const next = this.queue.items[this.queue.nextIndex()];
    if (!next || next === this.entry || !this.duration) return;
    if (this.duration - this.audio.currentTime > PRELOAD_BEFORE_END) return;
    const standby = (this.standby = { entry: next, deck: null });
    this.deckFor(next).then((deck) => {
      if (this.standby !== standby) return;
      deck.el.src = next.track.audio_url;
      standby.deck = deck;
    });
  }

  dropStandby() {
    const deck = this.standby?.deck;
    this.standby = null;
    if (!deck || deck === this.deck) return;
    deck.entry = null;
    deck.el.removeAttribute("src");
    deck.el.load();
  }

  playElement() {
    if (!this.audible) return; // a jam's remote: another tab is the speaker
    this.audio.play()?.catch((err) => {
      // AbortError: superseded by a newer load or pause. NotAllowedError: a click must start it.
      if (err?.name !== "NotAllowedError") return;
      this.wantPlay = false;
      this.emit("statechange");
      this.emit("blocked");
    });
  }

  emitChange(change) {
    this.emit("trackchange", change);
    document.dispatchEvent(new CustomEvent("plyr:trackchange", { detail: change }));
  }

  // ---- loudness

  unlock() {
    const AudioContextClass = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext;
    if (!setting("normalize") || !AudioContextClass) return;
    try {
      this.ctx ??= new AudioContextClass();
    } catch {
      return;
    }
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    this.decks.forEach((deck) => deck.direct && this.connect(deck));
  }

  /** @param {Deck} deck */
  connect(deck) {
    if (!this.ctx || deck.gain) return;
    try {
      deck.gain = this.ctx.createGain();
      this.ctx.createMediaElementSource(deck.el).connect(deck.gain).connect(this.ctx.destination);
    } catch {
      deck.gain = null; // stays plain
    }
    this.applyOutput(deck);
  }

  /** Volume × normalization: in the GainNode (up to 2×) or folded into element.volume (≤ 1).
   * @param {Deck} deck */
  applyOutput(deck) {
    const gain = setting("normalize") ? normalizationGain(deck.entry?.track.loudness_lufs) : 1;
    if (!deck.gain || !this.ctx) {
      deck.el.volume = clamp(Math.min(1, gain) * this.volume, 0, 1);
      deck.el.muted = this.muted;
      return;
    }
    Object.assign(deck.el, { volume: 1, muted: false });
    const param = deck.gain.gain;
    const value = this.muted ? 0 : gain * this.volume;
    param.cancelScheduledValues(0);
    if (deck.el.paused) param.value = value;
    else param.setTargetAtTime(value, this.ctx.currentTime, 0.015); // glide: no zipper noise
  }

  // ---- media element events

  /** @param {Deck} deck @param {Event} e */
  onMedia(deck, { type }) {
    if (deck !== this.deck || !this.loaded) {
      // a failed preload is not retried; reaching it reports the error
      if (type === "error" && this.standby?.deck === deck) this.standby.failed = true;
      return;
    }
    const el = deck.el;
    if (type === "ended") return this.onEnded();
    if (type === "error") return this.onError();
    if (type === "playing") {
      this.failures = 0;
      if (this.listen) this.listen.ref ??= refParam(); // the page the play started on
      if (this.pendingChange) {
        const { change, endedAt } = this.pendingChange;
        this.pendingChange = null;
        this.emitChange({ ...change, gapMs: Math.round((performance.now() - endedAt) * 10) / 10 });
      }
    }
    if (type === "loadedmetadata" && this.pendingStart != null) {
      el.currentTime = Math.min(this.pendingStart, el.duration || Infinity);
      this.pendingStart = null;
    }
    if (type === "seeking" && this.listen) this.listen.last = el.currentTime;
    if (type === "timeupdate") this.countListen();
    if (type === "timeupdate" || type === "loadedmetadata") this.maybePreload();
    // at the end "pause" fires before "ended", which decides what comes next
    if (type === "play" || type === "playing" || (type === "pause" && !el.ended)) this.emit("statechange");
    else if (type === "loadedmetadata") this.emit("durationchange");
    else if (type === "seeking") this.emit("timeupdate");
    else if (type !== "pause") this.emit(type);
  }

  /** Accumulate forward playback; report once min(30 s, half the track) was heard. */
  countListen() {
    const listen = this.listen;
    if (!listen || listen.reported) return;
    const delta = this.audio.currentTime - listen.last;
    listen.last = this.audio.currentTime;
    // timeupdate comes every ~250 ms: a larger jump is an unnoticed seek, not listening
    if (this.audio.paused || delta <= 0 || delta > 1.5) return;
    listen.heard += delta;
    if (listen.heard < Math.min(30, (this.duration || 60) / 2)) return;
    listen.reported = true;
    fetch(`/tracks/${encodeURIComponent(listen.id)}/play`, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(listen.ref ? { ref: listen.ref } : {}),
    }).catch(() => {}); // the server dedups; a lost report is not the listener's problem
  }

  onEnded() {
    const { queue } = this;
    const index = queue.nextIndex();
    const next = queue.items[index];
    const advance = setting("autoAdvance");
    if (queue.repeat === "one" || (advance && next === this.entry)) {
      this.listen = { id: this.track?.id, heard: 0, last: 0, reported: false, ref: undefined }; // a new start
      this.audio.currentTime = 0;
      return this.playElement();
    }
    if (!next || !advance) {
      this.wantPlay = false;
      return this.emit("statechange");
    }
    const endedAt = performance.now();
    const deck = this.standby?.entry === next && !this.standby.failed ? this.standby.deck : null;
    deck?.el.play()?.catch(() => {}); // first thing: every millisecond here is audible gap
    this.withIntent({ autoplay: true, start: 0, endedAt, gapless: !!deck }, false, () => queue.setIndex(index));
  }

  onError() {
    const { track } = this;
    if (!track || !this.audio.getAttribute("src")) return;
    if (this.pendingChange) this.emitChange(this.pendingChange.change); // never played: gapMs null
    this.pendingChange = null;
    toast(`could not play ${track.title}`, "error");
    const autoplay = this.wantPlay;
    this.wantPlay = false;
    this.audio.pause(); // play() left `paused` false on the failed element
    this.emit("statechange");
    // skip ahead after a moment; stop once every queue item failed in a row
    const index = this.queue.nextIndex();
    if (++this.failures >= this.queue.length || index < 0) return void (this.failures = 0);
    const seq = this.seq;
    setTimeout(() => seq === this.seq && this.go(index, { autoplay }), 1000);
  }
}

/**
 * Lock screen, media keys and headset controls.
 * @param {Player} player
 */
export function bindMediaSession(player) {
  const session = navigator.mediaSession;
  if (!session) return;
  const handlers = {
    play: () => player.play({ user: true }),
    pause: () => player.pause(),
    previoustrack: () => player.previous({ user: true }),
    nexttrack: () => player.next({ user: true }),
    seekto: (d) => player.seek(d.seekTime),
    seekbackward: (d) => player.seekBy(-(d.seekOffset || 10)),
    seekforward: (d) => player.seekBy(d.seekOffset || 10),
  };
  for (const [action, handler] of Object.entries(handlers)) {
    try {
      session.setActionHandler(/** @type {MediaSessionAction} */ (action), handler);
    } catch {
      /* unsupported action */
    }
  }
  const position = () => {
    const duration = player.duration;
    if (!player.track || !(duration > 0) || !session.setPositionState) return;
    try {
      const playbackRate = player.audio.playbackRate || 1;
      session.setPositionState({ duration, playbackRate, position: clamp(player.currentTime, 0, duration) });
    } catch {
      /* inconsistent mid-load; the next update fixes it */
    }
  };
  player.addEventListener("trackchange", () => {
    const track = player.track;
    // sensitive artwork stays off the lock screen unless the listener asked to see it
    const shown = track?.image_url && !(track.sensitive_art && !setting("showSensitiveArtwork", false));
    const artwork = shown ? [{ src: track.image_url }] : [];
    session.metadata = track && window.MediaMetadata ? new MediaMetadata({ title: track.title, artist: track.artist, album: track.album ?? "", artwork }) : null;
  });
  player.addEventListener("statechange", () => {
    session.playbackState = !player.track ? "none" : player.paused ? "paused" : "playing";
    position();
  });
  player.addEventListener("durationchange", position);
  player.addEventListener("timeupdate", throttle(position, 1000));
}
