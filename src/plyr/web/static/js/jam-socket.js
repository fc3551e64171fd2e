// The WebSocket of a jam (/jams/{code}/ws): registers this tab with `sync` (and the last stream
// id it saw, so the server replays what it missed), pings, and reconnects with exponential
// backoff and jitter until the jam is gone or the tab leaves it.

const PING_EVERY_MS = 25_000; // the server closes sockets idle for 5 min (4008)
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/** Close codes after which reconnecting cannot help. */
export const CLOSE = { noSession: 4001, badOrigin: 4002, notParticipant: 4003, gone: 4004, idle: 4008, full: 4009, replaced: 4010 };
const FINAL = new Set([CLOSE.noSession, CLOSE.badOrigin, CLOSE.notParticipant, CLOSE.gone, CLOSE.full]);

/** Half the exponential step plus a random half: tabs that lost the server together don't
 * all come back at the same instant. */
export function backoff(attempt, random = Math.random) {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * @typedef {{code: string, clientId: () => string, onMessage: (msg: any) => void,
 *   onOpen?: () => void, onFinal: (code: number) => void, onReplaced?: () => void}} SocketOptions
 */
export class JamSocket {
  /** @param {SocketOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {string|null} the stream id of the last event received */
    this.lastId = null;
    /** @type {WebSocket|null} */
    this.ws = null;
    this.attempt = 0;
    this.closed = false;
    this.timer = 0;
    this.pinger = 0;
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect() {
    if (this.closed) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/jams/${encodeURIComponent(this.options.code)}/ws`);
    this.ws = ws;
    ws.addEventListener("open", () => {
      const sync = { type: "sync", client_id: this.options.clientId() };
      this.send(this.lastId ? { ...sync, last_id: this.lastId } : sync);
      clearInterval(this.pinger);
      this.pinger = window.setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
      this.options.onOpen?.();
    });
    ws.addEventListener("message", (e) => this.receive(e.data));
    ws.addEventListener("close", (e) => this.onClose(ws, e.code));
  }

  receive(raw) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    this.attempt = 0; // the server answers: the next outage starts from a short wait
    if (typeof msg?.stream_id === "string") this.lastId = msg.stream_id;
    this.options.onMessage(msg);
  }

  /** @param {WebSocket} ws @param {number} code */
  onClose(ws, code) {
    clearInterval(this.pinger);
    if (ws !== this.ws || this.closed) return;
    this.ws = null;
    if (FINAL.has(code)) {
      this.closed = true;
      return this.options.onFinal(code);
    }
    // 4010: a newer socket took this client id (a duplicated tab copies sessionStorage)
    if (code === CLOSE.replaced) this.options.onReplaced?.();
    this.timer = window.setTimeout(() => this.connect(), backoff(this.attempt++));
  }

  send(message) {
    if (!this.open) return false;
    /** @type {WebSocket} */ (this.ws).send(JSON.stringify(message));
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    this.ws?.close(1000);
    this.ws = null;
  }
}
