// Sensitive artwork (marked by moderation; the server renders it with class "sensitive-art"):
// blurred by CSS unless <html data-show-sensitive-artwork="true"> (the listener's preference;
// never for signed-out visitors, nor in embeds). The first click on a blurred image reveals
// it instead of following the link or playing the card it sits on.

/** @param {Element} root */
function showsSensitive(root) {
  return root.getAttribute("data-show-sensitive-artwork") === "true";
}

document.addEventListener(
  "click",
  (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const art = target.closest("img.sensitive-art:not(.revealed)");
    if (!art || showsSensitive(document.documentElement)) return;
    event.preventDefault();
    event.stopPropagation();
    art.classList.add("revealed");
  },
  { capture: true },
);

/**
 * Mark an image whose source changes in the page (the player's artwork) as sensitive or not.
 * @param {HTMLImageElement} img
 * @param {boolean} sensitive
 */
export function markSensitive(img, sensitive) {
  img.classList.toggle("sensitive-art", sensitive);
  img.classList.remove("revealed");
}
