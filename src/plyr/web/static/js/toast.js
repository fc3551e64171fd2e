// Toasts in #toasts. CSS animates (and honours prefers-reduced-motion); this module only adds
// and removes elements and the classes .toast-visible / .toast-leaving.

/**
 * @param {string} message
 * @param {"info"|"error"|"success"} [kind]
 * @param {{timeout?: number}} [options] ms until it goes; 0 keeps it until clicked
 * @returns {() => void} dismisses it early
 */
export function toast(message, kind = "info", { timeout = 4000 } = {}) {
  const host = document.getElementById("toasts");
  if (!host || !message) return () => {};
  const el = document.createElement("div");
  el.className = `toast toast-${["error", "success"].includes(kind) ? kind : "info"}`;
  el.setAttribute("role", "status");
  el.textContent = String(message);
  host.append(el);
  requestAnimationFrame(() => el.classList.add("toast-visible")); // after a frame: entry transition
  let timer = 0;
  const dismiss = () => {
    clearTimeout(timer);
    el.classList.replace("toast-visible", "toast-leaving") || el.classList.add("toast-leaving");
    // leave time for an exit transition, none when motion is reduced
    setTimeout(() => el.remove(), matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 250);
  };
  el.addEventListener("click", dismiss);
  if (timeout > 0) timer = setTimeout(dismiss, timeout);
  return dismiss;
}

/** A toast by way of a "plyr:toast" event, shown by the listener initToasts adds. */
export const say = (message, kind = "info") =>
  document.dispatchEvent(new CustomEvent("plyr:toast", { detail: { message, kind } }));

/** What to say about a failed htmx request: the server's {"detail"} when it sent JSON. */
export function errorMessage(xhr) {
  if (!xhr?.status) return "could not reach the server";
  try {
    const { detail } = JSON.parse(xhr.responseText);
    const text = typeof detail === "string" ? detail : detail?.message ?? (Array.isArray(detail) ? detail.map((d) => d?.msg).join("; ") : "");
    if (text) return text;
  } catch {
    /* not JSON */
  }
  return `something went wrong (HTTP ${xhr.status})`;
}

export function initToasts() {
  document.addEventListener("plyr:toast", (e) => {
    const { message, kind, timeout } = /** @type {CustomEvent} */ (e).detail ?? {};
    toast(message, kind, timeout == null ? {} : { timeout });
  });
  const onError = (e) => toast(errorMessage(e.detail?.xhr), "error");
  document.addEventListener("htmx:responseError", onError);
  document.addEventListener("htmx:sendError", onError);
}
