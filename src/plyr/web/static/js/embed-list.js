// The album and playlist embed: one <audio> playing the tracklist in order (a click on a
// track plays it; the next one follows when it ends), play/pause, seek, elapsed time. Plays
// count like anywhere else.
import { bindControls } from "./embed-core.js";

const root = /** @type {HTMLElement | null} */ (document.querySelector(".embed-list"));
if (root) {
  const tracks = /** @type {HTMLElement[]} */ ([...root.querySelectorAll(".list-track")]);
  const audio = new Audio();
  audio.preload = "none";
  const button = /** @type {HTMLButtonElement} */ (root.querySelector(".play"));
  const bar = root.querySelector(".bar");
  const now = root.querySelector(".now");
  let index = -1;

  const current = () => tracks[index];
  const controls = bindControls(root, audio, {
    duration: () => audio.duration || Number(current()?.dataset.duration) || 0,
    trackId: () => current()?.dataset.trackId,
    canSeek: () => index >= 0,
  });

  const load = (i) => {
    index = i;
    const track = current();
    audio.src = track.dataset.audio;
    controls.reset();
    tracks.forEach((t, n) => t.setAttribute("aria-current", n === i ? "true" : "false"));
    if (now) now.textContent = `${i + 1}. ${track.dataset.title}`;
    bar.setAttribute("aria-valuemax", String(Math.floor(Number(track.dataset.duration) || 0)));
    track.scrollIntoView({ block: "nearest" });
  };
  const play = (i) => {
    load(i);
    audio.play().catch(() => {});
  };

  button.addEventListener("click", () => {
    if (!tracks.length) return;
    if (index < 0) play(0);
    else if (audio.paused) audio.play().catch(() => {});
    else audio.pause();
  });
  tracks.forEach((track, i) =>
    track.addEventListener("click", () => (i === index ? button.click() : play(i))),
  );
  audio.addEventListener("ended", () => {
    if (index + 1 < tracks.length) play(index + 1);
  });
}
