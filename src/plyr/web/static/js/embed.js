// The track embed's player: one <audio>, play/pause, a seek bar, elapsed time. No sign-in, no
// queue; plays count like anywhere else.
import { bindControls } from "./embed-core.js";

const root = /** @type {HTMLElement | null} */ (document.querySelector(".embed"));
if (root) {
  const audio = new Audio();
  audio.preload = "none";
  audio.src = root.dataset.audio;
  bindControls(root, audio, {
    duration: () => audio.duration || Number(root.dataset.duration) || 0,
    trackId: () => root.dataset.trackId,
  });
  root.querySelector(".play").addEventListener("click", () => (audio.paused ? audio.play() : audio.pause()));
}
