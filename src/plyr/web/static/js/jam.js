// Jams: a queue several listeners share. The server holds the state; this tab follows it (queue,
// track, play/pause, position within 250 ms) and turns the listener's own gestures into commands,
// shown at once and confirmed by the server. While in a jam the listener's own queue is set
// aside (not saved over) and comes back when they leave.
import { request } from "./http.js";
import { JamSocket, CLOSE } from "./jam-socket.js";
import { ServerClock, audibleHere, positionMs, predict, tabClientId } from "./jam-state.js";
import { playable } from "./queue-sync.js";
import { storageGet, storageSet } from "./format.js";
import { toast } from "./toast.js";

/** @typedef {import("./jam-state.js").JamState} JamState */
/** @typedef {{did: string, handle: string, display_name?: string|null, avatar_url?: string|null}} Person */
/** @typedef {{id: number, code: string, host: Person, name?: string|null, state: JamState,
 *   revision: number, is_active: boolean, participants: Person[], tracks: any[]}} Jam */

const DRIFT_S = 0.25; // seek only when further off than this: every seek is audible
const DRIFT_COOLDOWN_MS = 3000; // after a correcting seek, let the audio settle
const CHECK_EVERY_MS = 2000;
const JAM_KEY = "plyr.jam"; // the code of the jam this listener is in, for reloads

export class Jams extends EventTarget {
  /**
   * @param {import("./player.js").Player} player
   * @param {import("./queue.js").Queue} queue
   * @param {{did: string|null}} me
   */
  constructor(player, queue, me) {
    super();
    this.player = player;
    this.queue = queue;
    this.me = me;
    /** @type {Jam|null} */
    this.jam = null;
    /** @type {{state: JamState, revision: number}|null} the newest state the server sent */
    this.confirmed = null;
    /** @type {JamState|null} what this tab shows: the confirmed state plus its own pending commands */
    this.shown = null;
    this.clock = new ServerClock();
    /** @type {Map<number, any>} tracks by id, in the player's shape */
    this.tracks = new Map();
    this.inflight = 0; // local commands the server has not answered yet
    this.applying = 0; // >0 while this tab changes its player/queue to follow the jam
    this.lastDriftSeek = 0;
    this.clientId = tabClientId();
    /** @type {JamSocket|null} */
    this.socket = null;
    /** @type {Promise<unknown>} commands go out one after another, in gesture order */
    this.outbox = Promise.resolve();
    /** Set by app.js: saving and restoring the listener's own queue. */
    this.own = { save: () => {}, restore: async () => {} };
    const jams = this;
    /** @type {import("./player.js").JamHooks} */
    this.hooks = {
      play: () => this.local({ type: "play" }),
      pause: () => this.local({ type: "pause" }),
      seek: (seconds) => this.local({ type: "seek", position_ms: Math.round(seconds * 1000) }),
      get remote() {
        return jams.active && !jams.audible;
      },
      position: () => this.positionMs() / 1000,
      playing: () => !!this.shown?.is_playing,
    };
    queue.addEventListener("change", (e) => this.onQueueChange(/** @type {CustomEvent} */ (e).detail));
    player.addEventListener("statechange", () => this.correctDrift());
    setInterval(() => this.correctDrift(), CHECK_EVERY_MS);
  }

  get active() {
    return !!this.jam;
  }
  get audible() {
    return audibleHere(this.shown, this.clientId);
  }
  positionMs() {
    return positionMs(this.shown, this.clock.now());
  }

  emit(type) {
    this.dispatchEvent(new Event(type));
  }

  // ---- entering and leaving

  /** After a reload (or in another tab): back into the jam this listener was in. Asked by
   * its code, not with GET /jams/active: that one answers 404 on every page of everyone who
   * is in no jam. */
  async resume() {
    const code = storageGet(JAM_KEY);
    if (!this.me.did || !code) return;
    const preview = await request("GET", `/jams/${encodeURIComponent(code)}/preview`).catch(() => null);
    const jam = preview?.is_active ? await request("GET", `/jams/${encodeURIComponent(code)}`).catch(() => null) : null;
    if (jam?.is_active && !this.jam) this.enter(jam);
    else if (!jam) storageSet(JAM_KEY, "");
  }

  /** A new jam with this tab's queue; this listener hosts it. */
  async start() {
    const { queue, player } = this;
    const body = {
      track_ids: queue.tracks.map((t) => t.id),
      current_index: Math.max(0, queue.index),
      is_playing: !player.paused,
      progress_ms: Math.round(player.currentTime * 1000),
    };
    this.enter(await request("POST", "/jams/", body));
  }

  async join(code) {
    if (this.jam?.code === code) return this.jam;
    const jam = await request("POST", `/jams/${encodeURIComponent(code)}/join`);
    this.enter(jam);
    return jam;
  }

  async leave() {
    const code = this.jam?.code;
    this.exit();
    if (code) await request("POST", `/jams/${encodeURIComponent(code)}/leave`).catch(() => {});
  }

  /** @param {Jam} jam */
  enter(jam) {
    if (this.jam) this.disconnect();
    else this.own.save(); // the listener's own queue, kept for when they leave
    this.jam = jam;
    storageSet(JAM_KEY, jam.code);
    this.confirmed = { state: jam.state, revision: jam.revision };
    this.shown = jam.state;
    this.learn(jam.tracks);
    this.player.jam = this.hooks;
    this.follow();
    this.socket = new JamSocket({
      code: jam.code,
      clientId: () => this.clientId,
      onMessage: (msg) => this.receive(msg),
      onFinal: (code) => this.onFinal(code),
      onReplaced: () => (this.clientId = tabClientId(true)),
    });
    this.socket.connect();
    this.emit("change");
  }

  /** Out of the jam: the sound stops here and the listener's own queue comes back. */
  exit() {
    if (!this.jam) return;
    this.disconnect();
    storageSet(JAM_KEY, "");
    this.jam = this.confirmed = this.shown = null;
    this.player.jam = null;
    this.player.pause();
    this.own.restore();
    this.emit("change");
  }

  disconnect() {
    this.socket?.close();
    this.socket = null;
  }

  onFinal(code) {
    const why = { [CLOSE.gone]: "the jam has ended", [CLOSE.full]: "the jam is full", [CLOSE.notParticipant]: "you are no longer in the jam" }[code];
    if (why) toast(why, "info");
    this.exit();
  }

  // ---- what the server says

  receive(msg) {
    if (msg.type === "state") this.onState(msg);
    else if (msg.type === "participant") this.onParticipant(msg);
    else if (msg.type === "ended") this.onFinal(CLOSE.gone);
    else if (msg.type === "error") toast(msg.message || "the jam refused that", "error");
  }

  onState(msg) {
    if (!msg.snapshot) this.sampleClock(msg.state);
    if (msg.tracks) this.learn(msg.tracks);
    if (msg.jam && this.jam && msg.jam.code === this.jam.code) {
      this.jam = { ...this.jam, participants: msg.jam.participants ?? this.jam.participants, host: msg.jam.host ?? this.jam.host };
    }
    this.confirm(msg.state, msg.revision);
  }

  /** A state the server just stamped (its server_time_ms moved) tells the clock offset; a
   * snapshot's may be hours old and would not. */
  sampleClock(state) {
    const before = this.confirmed?.state.server_time_ms;
    if (state && state.server_time_ms !== before) this.clock.sample(state.server_time_ms);
  }

  async onParticipant(msg) {
    // this listener left (elsewhere): the server closes the socket next (4003)
    if (!this.jam || (msg.event === "left" && msg.did === this.me.did)) return;
    const jam = await request("GET", `/jams/${encodeURIComponent(this.jam.code)}`).catch(() => null);
    if (!jam || !this.jam || jam.code !== this.jam.code) return;
    this.jam = { ...this.jam, participants: jam.participants, host: jam.host };
    this.learn(jam.tracks);
    this.confirm(jam.state, Math.max(jam.revision, msg.revision ?? 0));
    this.emit("change");
  }

  /** A state from the server: kept when newer; shown once no local command is pending (a
   * state older than a pending command would undo the listener's gesture for a moment). */
  confirm(state, revision) {
    if (!state || (this.confirmed && revision < this.confirmed.revision)) return;
    this.confirmed = { state, revision };
    if (this.inflight === 0) this.showConfirmed();
  }

  showConfirmed() {
    if (!this.confirmed || !this.jam) return;
    this.shown = this.confirmed.state;
    this.follow();
    this.emit("change");
  }

  learn(tracks) {
    for (const t of tracks ?? []) this.tracks.set(t.id, t.audio_url && typeof t.artist === "string" ? t : playable(t));
  }

  // ---- the listener's gestures

  /** A command from this tab: shown at once, sent in order, then the server's answer rules. */
  local(payload) {
    if (this.applying || !this.jam || !this.shown) return;
    this.shown = predict(this.shown, payload, this.clock.now(), { clientId: this.clientId, did: this.me.did });
    this.emit("change");
    this.send(payload);
  }

  send(payload) {
    const code = /** @type {Jam} */ (this.jam).code;
    this.inflight++;
    this.outbox = this.outbox.then(async () => {
      try {
        const result = await request("POST", `/jams/${encodeURIComponent(code)}/command`, payload);
        if (this.jam?.code !== code) return;
        this.sampleClock(result.state);
        if (result.tracks) this.learn(result.tracks);
        if (!this.confirmed || result.revision >= this.confirmed.revision) this.confirmed = { state: result.state, revision: result.revision };
      } catch (err) {
        toast(err instanceof Error ? err.message : "the jam did not take that", "error");
      } finally {
        if (--this.inflight === 0) this.showConfirmed(); // also undoes a refused command
      }
    });
  }

  playHere() {
    if (!this.shown) return;
    this.local({ type: "set_output", client_id: this.clientId });
    this.follow();
  }

  setMode(mode) {
    this.local({ type: "set_mode", mode });
    this.follow();
  }

  /** Queue edits made here (play a row, next, reorder, remove...) become the jam's queue. */
  onQueueChange({ reason }) {
    if (this.applying || !this.jam || !this.shown || ["restore", "adopt", "jam", "repeat"].includes(reason)) return;
    const { queue, player } = this;
    this.local({ type: "update_queue", track_ids: queue.tracks.map((t) => t.id), current_index: Math.max(0, queue.index) });
    // a row played here starts the jam too; a jump while paused stays paused
    if (player.wantPlay && !this.shown.is_playing) this.local({ type: "play" });
  }

  // ---- following the jam

  /** Run `change` to the player or queue as the jam's doing, not the listener's. */
  apply(change) {
    this.applying++;
    try {
      change();
    } finally {
      this.applying--;
    }
  }

  /** Bring the queue, the output and play/pause in line with the shown state. */
  follow() {
    const state = this.shown;
    if (!state) return;
    const { player, queue } = this;
    const tracks = state.track_ids.map((id) => this.tracks.get(id)).filter(Boolean);
    if (tracks.length < state.track_ids.length) return void this.refetch();
    const index = Math.min(Math.max(0, state.current_index), tracks.length - 1);
    const position = this.positionMs() / 1000;
    this.apply(() => queue.load({ tracks, index: tracks.length ? index : -1, position, repeat: queue.repeat }, "jam"));
    if (!this.audible) {
      this.apply(() => player.audio.pause()); // a remote: the speaker is elsewhere
      player.emit("statechange");
      return;
    }
    this.correctDrift(true); // first: a tab that becomes the speaker starts at the right spot
    if (state.is_playing && (player.audio.paused || !player.wantPlay)) this.apply(() => player.play());
    if (!state.is_playing && !player.paused) this.apply(() => player.pause());
  }

  /** Seek to where the jam is when this tab's audio is more than 250 ms off. */
  correctDrift(force = false) {
    const { player } = this;
    if (!this.jam || !this.shown || !this.audible || !player.loaded) return;
    if (!force && performance.now() - this.lastDriftSeek < DRIFT_COOLDOWN_MS) return;
    if (!force && this.shown.is_playing && player.audio.paused) return; // waiting on autoplay or a load
    const want = Math.min(this.positionMs() / 1000, player.duration || Infinity);
    if (Math.abs(player.audio.currentTime - want) <= DRIFT_S) return;
    this.lastDriftSeek = performance.now();
    this.apply(() => player.seek(want));
  }

  refetching = false;
  async refetch() {
    if (this.refetching || !this.jam) return;
    this.refetching = true;
    try {
      const jam = await request("GET", `/jams/${encodeURIComponent(this.jam.code)}`);
      this.learn(jam.tracks);
      this.confirm(jam.state, jam.revision);
    } catch {
      /* the socket's next state tries again */
    } finally {
      this.refetching = false;
    }
  }

  /** The browser refused to start audio: a tap on "join the sound" starts it here only. */
  unblock() {
    this.apply(() => this.player.play({ user: true }));
    this.correctDrift(true);
  }
}
