// The queue (tracks + the current index: earlier items are history, later ones upcoming), its
// persistence, and the #queue-panel list.
import { byId, storageGet, storageSet, throttle } from "./format.js";

/** @typedef {import("./format.js").Track} Track */
/** @typedef {{key: number, track: Track}} Entry  one slot; the same track may be queued twice */
/** @typedef {{tracks: Track[], index: number, position: number, repeat: string}} QueueState */

const REPEAT = ["none", "all", "one"];
let keys = 0;
const entry = (track) => ({ key: ++keys, track });

/**
 * Fires "change" with detail {reason, position?, structural}; structural is false when only
 * the position moved (another tab's periodic save), so the list need not re-render.
 */
export class Queue extends EventTarget {
  /** @type {Entry[]} */ items = [];
  index = -1; // -1: nothing current yet, everything is upcoming
  repeat = "none";
  /** @type {Entry[]|null} the upcoming order before shuffle(), to undo it */
  unshuffled = null;

  get length() {
    return this.items.length;
  }
  get current() {
    return this.items[this.index] ?? null;
  }
  get tracks() {
    return this.items.map((e) => e.track);
  }
  get shuffled() {
    return !!this.unshuffled;
  }

  emit(reason, detail = {}) {
    this.dispatchEvent(new CustomEvent("change", { detail: { reason, structural: true, ...detail } }));
  }

  replace(tracks, index = 0) {
    this.items = tracks.map(entry);
    this.index = tracks.length ? Math.min(Math.max(index, 0), tracks.length - 1) : -1;
    this.unshuffled = null;
    this.emit("replace");
  }

  setIndex(index) {
    if (index < 0 || index >= this.length) return;
    this.index = index;
    this.emit("jump");
  }

  add(track) {
    const e = entry(track);
    this.items.push(e);
    this.unshuffled?.push(e);
    this.emit("add");
  }

  /** Insert after the current item; returns its index. */
  playNext(track) {
    const e = entry(track);
    this.items.splice(this.index + 1, 0, e);
    this.unshuffled?.unshift(e);
    this.emit("add");
    return this.index + 1;
  }

  /** Removing the current item makes the next one current (the player follows). */
  remove(index) {
    if (index < 0 || index >= this.length) return;
    const [gone] = this.items.splice(index, 1);
    this.unshuffled = this.unshuffled?.filter((e) => e !== gone) ?? null;
    if (index < this.index || (index === this.index && index === this.length)) this.index--;
    this.emit("remove");
  }

  move(from, to) {
    if (from === to || Math.min(from, to) < 0 || Math.max(from, to) >= this.length) return;
    const current = this.current;
    this.items.splice(to, 0, ...this.items.splice(from, 1));
    this.index = current ? this.items.indexOf(current) : -1;
    this.unshuffled = null; // a manual order replaces the shuffled one
    this.emit("move");
  }

  clearUpcoming() {
    this.items.length = this.index + 1;
    this.unshuffled = null;
    this.emit("clear");
  }

  /**
   * Shuffle is a one-off random reorder of the upcoming items; while that order stands,
   * `shuffled` is true (the button's aria-pressed) and toggling again restores the old order.
   */
  toggleShuffle() {
    const upcoming = this.items.slice(this.index + 1);
    let order;
    if (this.unshuffled) {
      const kept = this.unshuffled.filter((e) => upcoming.includes(e));
      order = [...kept, ...upcoming.filter((e) => !kept.includes(e))];
      this.unshuffled = null;
    } else {
      this.unshuffled = upcoming;
      order = upcoming.slice();
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    this.items.splice(this.index + 1, upcoming.length, ...order);
    this.emit("shuffle");
  }

  cycleRepeat() {
    this.repeat = REPEAT[(REPEAT.indexOf(this.repeat) + 1) % 3];
    this.emit("repeat");
  }

  /** What plays after the current item (wrapping for repeat "all"), or -1. */
  nextIndex() {
    if (this.index + 1 < this.length) return this.index + 1;
    return this.repeat === "all" && this.length ? 0 : -1;
  }

  /** @returns {QueueState} */
  snapshot(position = 0) {
    return { tracks: this.tracks, index: this.index, position, repeat: this.repeat };
  }

  /**
   * Take over a stored state (page load, another tab). The current entry is kept when it is
   * still the same track, so the player does not reload what it already has.
   * @param {QueueState} state
   * @param {"restore"|"adopt"|"jam"} reason (jam: the state of a jam this tab follows)
   */
  load(state, reason) {
    const tracks = state.tracks.filter((t) => t?.audio_url);
    const index = Number.isInteger(state.index) ? Math.min(state.index, tracks.length - 1) : -1;
    const repeat = REPEAT.includes(state.repeat) ? state.repeat : "none";
    const position = Number(state.position) || 0;
    const sig = (list, i, r) => JSON.stringify([list.map((t) => t.id), i, r]);
    if (sig(tracks, index, repeat) === sig(this.tracks, this.index, this.repeat)) {
      return this.emit(reason, { position, structural: false });
    }
    const current = this.current;
    this.items = tracks.map((t, i) => (i === index && current?.track.id === t.id ? current : entry(t)));
    Object.assign(this, { index, repeat, unshuffled: null });
    this.emit(reason, { position });
  }
}

/**
 * Where the queue is kept. Async so a server-backed store (GET/PUT /queue/ with ETag/If-Match)
 * can replace this one; subscribe reports states written elsewhere (other tabs).
 * @typedef {{load(): Promise<QueueState|null>, save(state: QueueState): Promise<void>,
 *   subscribe(fn: (state: QueueState) => void): void}} QueueStore
 * @returns {QueueStore}
 */
export function localStore(key = "plyr.queue") {
  const parse = (raw) => {
    try {
      const state = JSON.parse(raw || "null");
      return Array.isArray(state?.tracks) ? state : null;
    } catch {
      return null;
    }
  };
  return {
    load: async () => parse(storageGet(key)),
    save: async (state) => storageSet(key, JSON.stringify(state)),
    subscribe: (fn) =>
      addEventListener("storage", (e) => {
        const state = e.key === key && parse(e.newValue);
        if (state) fn(state);
      }),
  };
}

/**
 * Restore the queue from `store`, then save it on changes, the position every ~2 s while
 * playing and on pagehide; adopt other tabs' states while this tab is not playing. While
 * `held()` (in a jam: the queue is the jam's) nothing is saved or adopted, so the
 * listener's own queue waits in the store for their return.
 * @param {Queue} queue
 * @param {QueueStore} store
 * @param {{position: () => number, playing: () => boolean, held?: () => boolean}} player
 */
export async function persistQueue(queue, store, player) {
  let owner = true; // whether this tab wrote last; only then does pagehide save
  const held = player.held ?? (() => false);
  const save = () => {
    if (held()) return;
    owner = true;
    store.save(queue.snapshot(player.position())).catch(() => {});
  };
  const state = await store.load().catch(() => null);
  if (state) queue.load(state, "restore");
  queue.addEventListener("change", (e) => {
    const { reason } = /** @type {CustomEvent} */ (e).detail;
    if (reason !== "restore" && reason !== "adopt") save();
  });
  store.subscribe((state) => {
    if (player.playing() || held()) return;
    owner = false;
    queue.load(state, "adopt");
  });
  addEventListener("pagehide", () => owner && save());
  /** Take the stored queue back (after a jam). */
  const restore = async () => {
    const mine = await store.load().catch(() => null);
    queue.load(mine ?? { tracks: [], index: -1, position: 0, repeat: "none" }, "restore");
  };
  return { save, restore, savePosition: throttle(() => player.playing() && save(), 2000) };
}

/**
 * Render the queue into #queue-list and handle its controls: click or Enter plays an item,
 * Alt+ArrowUp/Down and drag and drop reorder. Elements are looked up on every use: a page
 * may lack them, or an htmx history restore may replace them.
 * @param {Queue} queue
 * @param {(index: number) => void} onPlay
 */
export function bindQueuePanel(queue, onPlay) {
  let open = false;
  let dragFrom = -1;
  let focusIndex = -1; // the item to focus after the next render (keyboard reorder)

  const span = (className, text) => Object.assign(document.createElement("span"), { className, textContent: text });
  const render = () => {
    const list = byId("queue-list");
    if (!list) return;
    list.replaceChildren(
      ...queue.items.map(({ track }, i) => {
        const li = document.createElement("li");
        li.dataset.index = String(i);
        li.dataset.state = i < queue.index ? "played" : i === queue.index ? "current" : "upcoming";
        if (i === queue.index) li.setAttribute("aria-current", "true");
        li.draggable = true;
        li.tabIndex = 0;
        const remove = Object.assign(document.createElement("button"), { type: "button", className: "queue-remove", textContent: "×" });
        remove.setAttribute("aria-label", `remove ${track.title} from queue`);
        li.append(span("queue-title", track.title), " ", span("queue-artist", track.artist), remove);
        return li;
      }),
    );
    /** @type {HTMLElement|undefined} */ (list.children[focusIndex])?.focus();
    focusIndex = -1;
  };
  const setOpen = (value) => {
    open = value;
    const panel = byId("queue-panel");
    if (panel) panel.hidden = !open;
    byId("queue-toggle")?.setAttribute("aria-expanded", String(open));
  };
  /** @returns {HTMLElement | null} */
  const itemOf = (target) => (target instanceof Element ? target.closest("#queue-list > li") : null);
  const indexOf = (li) => Number(li.dataset.index);

  queue.addEventListener("change", (e) => /** @type {CustomEvent} */ (e).detail.structural && render());

  document.addEventListener("click", (e) => {
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest("#queue-toggle")) return setOpen(!open);
    if (target?.closest("#queue-clear")) return queue.clearUpcoming();
    const li = itemOf(target);
    if (!li) return;
    if (!target?.closest(".queue-remove")) return onPlay(indexOf(li));
    focusIndex = Math.min(indexOf(li), queue.length - 2);
    queue.remove(indexOf(li));
  });

  document.addEventListener("keydown", (e) => {
    const li = itemOf(e.target);
    if (li && li === e.target && e.key === "Enter") onPlay(indexOf(li));
    else if (li && li === e.target && e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      focusIndex = indexOf(li) + (e.key === "ArrowUp" ? -1 : 1);
      if (focusIndex >= 0 && focusIndex < queue.length) queue.move(indexOf(li), focusIndex);
    } else if (e.key === "Escape" && open && e.target instanceof Element && e.target.closest("#queue-panel")) {
      setOpen(false);
      byId("queue-toggle")?.focus();
    } else return;
    e.preventDefault();
  });

  // drag and drop; data-drop="before|after" on the hovered item is for CSS to draw a marker
  const side = (e, li) => {
    const box = li.getBoundingClientRect();
    return e.clientY < box.top + box.height / 2 ? "before" : "after";
  };
  const clearMarks = () => document.querySelectorAll("#queue-list > [data-drop]").forEach((el) => el.removeAttribute("data-drop"));
  document.addEventListener("dragstart", (e) => {
    const li = itemOf(e.target);
    if (!li || !e.dataTransfer) return;
    dragFrom = indexOf(li);
    e.dataTransfer.setData("text/plain", String(dragFrom));
    e.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragover", (e) => {
    const li = itemOf(e.target);
    if (!li || dragFrom < 0) return;
    e.preventDefault();
    clearMarks();
    li.dataset.drop = side(e, li);
  });
  document.addEventListener("drop", (e) => {
    const li = itemOf(e.target);
    if (!li || dragFrom < 0) return;
    e.preventDefault();
    const to = indexOf(li) + (side(e, li) === "after" ? 1 : 0);
    queue.move(dragFrom, to > dragFrom ? to - 1 : to); // positions after the dragged item shift up
  });
  document.addEventListener("dragend", () => {
    dragFrom = -1;
    clearMarks();
  });

  render();
  return {
    toggle: () => setOpen(!open),
    /** Re-apply to markup an htmx history restore swapped in. */
    refresh: () => (render(), setOpen(open)),
  };
}
