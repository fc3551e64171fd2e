// Global keyboard shortcuts. All are ignored while typing; Space is left to buttons and links'
// own handling, arrows to sliders and the like, which use them themselves.

const TYPING = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
const OWNS_SPACE = "button, summary, [role='button'], [role='checkbox'], [role='switch']";
const OWNS_ARROWS = "[role='slider'], [role='listbox'], [role='menu'], [role='tablist'], [role='radiogroup']";

/** @param {{player: import("./player.js").Player, toggleQueue: () => void}} actions */
export function bindKeys({ player, toggleQueue }) {
  document.addEventListener("keydown", (e) => {
    const target = e.target instanceof Element ? e.target : null;
    if (e.defaultPrevented || e.isComposing || target?.closest(TYPING)) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (e.ctrlKey || e.metaKey) {
      if (e.altKey || (key !== "k" && key !== ",")) return;
      if (key === "k") document.dispatchEvent(new CustomEvent("plyr:search"));
      else openSettings();
      return e.preventDefault();
    }
    if (e.altKey) return; // browser and OS shortcuts
    const actions = {
      " ": () => !target?.closest(OWNS_SPACE) && player.toggle({ user: true }),
      ArrowLeft: () => !target?.closest(OWNS_ARROWS) && player.seekBy(-10),
      ArrowRight: () => !target?.closest(OWNS_ARROWS) && player.seekBy(10),
      j: () => player.previous({ user: true }),
      l: () => player.next({ user: true }),
      m: () => player.toggleMute(),
      q: toggleQueue,
    };
    if (!(key in actions) || actions[key]() === false) return;
    e.preventDefault();
  });
}

/** Go to /settings as a boosted link would (history included); a full load without htmx. */
export function openSettings() {
  const htmx = /** @type {any} */ (window).htmx;
  if (!htmx) return location.assign("/settings");
  // a temporary link inherits the body's hx-boost/target/select, so htmx pushes history
  const link = Object.assign(document.createElement("a"), { href: "/settings", hidden: true });
  document.body.append(link);
  htmx.process(link);
  // removed after the request: htmx reports errors (toasts) through the source element
  link.addEventListener("htmx:afterRequest", () => link.remove(), { once: true });
  link.click();
}
