// What the embed players share: the play button's state, the seek bar (click and arrow keys),
// elapsed time, and counting a play after min(30 s, half the track) of forward listening.

import "./sensitive.js"; // blurred artwork: click to reveal

export const format = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

/**
 * Wire a player's controls to `audio`.
 * @param {HTMLElement} root
 * @param {HTMLAudioElement} audio
 * @param {{duration: () => number, trackId: () => string | undefined, canSeek?: () => boolean}} source
 * @returns {{reset: () => void}} call `reset` when another track is loaded
 */
export function bindControls(root, audio, source) {
  const button = /** @type {HTMLElement} */ (root.querySelector(".play"));
  const bar = /** @type {HTMLElement} */ (root.querySelector(".bar"));
  const fill = /** @type {HTMLElement} */ (root.querySelector(".fill"));
  const time = root.querySelector(".time");
  const canSeek = source.canSeek ?? (() => true);
  let heard = 0;
  let last = 0;
  let counted = false;

  audio.addEventListener("play", () => {
    button.dataset.state = "playing";
    button.setAttribute("aria-label", "pause");
  });
  audio.addEventListener("pause", () => {
    button.dataset.state = "paused";
    button.setAttribute("aria-label", "play");
  });
  audio.addEventListener("timeupdate", () => {
    const at = audio.currentTime;
    if (at > last && at - last < 2) heard += at - last; // forward listening only
    last = at;
    const total = source.duration();
    fill.style.width = total ? `${(at / total) * 100}%` : "0";
    bar.setAttribute("aria-valuenow", String(Math.floor(at)));
    if (time) time.textContent = format(at);
    if (!counted && total && heard >= Math.min(30, total / 2)) {
      counted = true;
      fetch(`/tracks/${source.trackId()}/play`, { method: "POST" }).catch(() => {});
    }
  });
  const seekTo = (fraction) => {
    const total = source.duration();
    if (canSeek() && total) audio.currentTime = Math.max(0, Math.min(1, fraction)) * total;
    last = audio.currentTime;
  };
  bar.addEventListener("click", (e) => {
    const rect = bar.getBoundingClientRect();
    seekTo((e.clientX - rect.left) / rect.width);
  });
  bar.addEventListener("keydown", (e) => {
    const step = { ArrowRight: 5, ArrowLeft: -5 }[e.key];
    if (step && source.duration()) {
      e.preventDefault();
      seekTo((audio.currentTime + step) / source.duration());
    }
  });
  return {
    reset() {
      heard = 0;
      last = 0;
      counted = false;
    },
  };
}
