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

// the image id in an artwork or thumbnail URL (as `plyr.media.sensitive` reads it)
const IMAGE_ID = /\/images\/([0-9a-f]{16})(?:_thumb)?\.[a-z]+(?:$|\?)/;
/** @type {Promise<Set<string>> | null} */
let listed = null;

/** The ids of the images marked sensitive (the public, cacheable listing), once per page. */
function sensitiveIds() {
  listed ??= fetch("/moderation/sensitive-images")
    .then((r) => (r.ok ? r.json() : { image_ids: [] }))
    .then((body) => new Set(body.image_ids))
    .catch(() => new Set());
  return listed;
}

/**
 * For artwork the page did not render (tracks from the JSON API: a restored queue,
 * recommendations): blurred while the listing loads, then as it says.
 * @param {HTMLImageElement} img
 * @param {string | null | undefined} url
 */
export async function markIfSensitive(img, url) {
  const id = IMAGE_ID.exec(url ?? "")?.[1];
  markSensitive(img, Boolean(id));
  if (!id) return;
  const ids = await sensitiveIds();
  if (img.getAttribute("src") === url) markSensitive(img, ids.has(id));
}
