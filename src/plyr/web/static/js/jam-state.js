// A jam's playback state as the server keeps it, and what a tab derives from it: the position
// now (interpolated with the server's clock), and the state a local command will lead to (shown
// at once, before the server confirms it).

/**
 * @typedef {{track_ids: number[], current_index: number, current_track_id: number|null,
 *   is_playing: boolean, progress_ms: number, server_time_ms: number,
 *   output_client_id: string|null, output_did: string|null,
 *   output_mode: "one_speaker"|"everyone"}} JamState
 */

const SAMPLES = 16;

/**
 * The server's clock as seen from here. Each fresh message says when the server wrote it
 * (`server_time_ms`); receipt time minus that is the clock offset plus the trip, so the
 * smallest of the recent samples is the best estimate. Until one arrives, the clocks are
 * taken to agree (NTP keeps them within milliseconds).
 */
export class ServerClock {
  /** @type {number[]} */
  samples = [];

  sample(serverTimeMs, receivedAt = Date.now()) {
    if (!Number.isFinite(serverTimeMs)) return;
    this.samples.push(receivedAt - serverTimeMs);
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  get offset() {
    return this.samples.length ? Math.min(...this.samples) : 0;
  }

  now(local = Date.now()) {
    return local - this.offset;
  }
}

/** Where the jam is (ms) at server time `now`. */
export function positionMs(state, now) {
  if (!state) return 0;
  const elapsed = state.is_playing ? Math.max(0, now - state.server_time_ms) : 0;
  return Math.max(0, state.progress_ms + elapsed);
}

/** The state the server will answer with when it accepts `payload` from this tab.
 * @param {JamState} state @param {any} payload @param {number} now @param {{clientId: string, did: string|null}} me
 * @returns {JamState} */
export function predict(state, payload, now, me) {
  const at = { progress_ms: Math.round(positionMs(state, now)), server_time_ms: now };
  switch (payload.type) {
    case "play":
      return { ...state, ...at, is_playing: true };
    case "pause":
      return { ...state, ...at, is_playing: false };
    case "seek":
      return { ...state, progress_ms: Math.max(0, Math.round(payload.position_ms)), server_time_ms: now };
    case "update_queue": {
      const ids = payload.track_ids;
      const index = ids.length ? Math.min(Math.max(0, payload.current_index), ids.length - 1) : 0;
      const current = ids[index] ?? null;
      const moved = current !== state.current_track_id;
      return { ...state, ...(moved ? { progress_ms: 0, server_time_ms: now } : {}), track_ids: ids, current_index: index, current_track_id: current };
    }
    case "set_output":
      return { ...state, output_client_id: payload.client_id, output_did: me.did };
    case "set_mode":
      return { ...state, output_mode: payload.mode, ...(payload.mode === "everyone" ? { output_client_id: null, output_did: null } : {}) };
    default:
      return state;
  }
}

/** Whether this tab plays the jam's sound: every tab in "everyone" mode, else the output. */
export function audibleHere(state, clientId) {
  if (!state || state.output_mode === "everyone") return true;
  // nobody has the output only until the first tab syncs (it gets it), or after the speaker
  // left (and the jam paused): going quiet here in the meantime would be a glitch
  return state.output_client_id == null || state.output_client_id === clientId;
}

/** A client id per tab: kept across reloads of the tab, never shared with another tab. */
export function tabClientId(renew = false) {
  const key = "plyr.jam.client";
  try {
    let id = renew ? null : sessionStorage.getItem(key);
    if (!id) {
      id = crypto.randomUUID?.() ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
      sessionStorage.setItem(key, id);
    }
    return id;
  } catch {
    return (tabClientId.fallback ??= Math.random().toString(36).slice(2));
  }
}
/** @type {string|undefined} */
tabClientId.fallback = undefined;
