// The embed's player: one <audio>, play/pause, a seek bar, elapsed time. No sign-in, no
// queue; plays count like anywhere else (after min(30 s, half the track) of listening).
const root = document.querySelector(".embed");
if (root) {
  const audio = new Audio();
  audio.preload = "none";
  audio.src = root.dataset.audio;
  const button = root.querySelector(".play");
  const bar = root.querySelector(".bar");
  const fill = root.querySelector(".fill");
  const time = root.querySelector(".time");
  let heard = 0;
  let last = 0;
  let counted = false;

  const format = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  const duration = () => audio.duration || Number(root.dataset.duration) || 0;

  button.addEventListener("click", () => (audio.paused ? audio.play() : audio.pause()));
  audio.addEventListener("play", () => {
    button.dataset.state = "playing";
    button.setAttribute("aria-label", "pause");
  });
  audio.addEventListener("pause", () => {
    button.dataset.state = "paused";
    button.setAttribute("aria-label", "play");
  });
  audio.addEventListener("timeupdate", () => {
    const now = audio.currentTime;
    if (now > last && now - last < 2) heard += now - last;
    last = now;
    const total = duration();
    fill.style.width = total ? `${(now / total) * 100}%` : "0";
    bar.setAttribute("aria-valuenow", String(Math.floor(now)));
    if (time) time.textContent = format(now);
    if (!counted && total && heard >= Math.min(30, total / 2)) {
      counted = true;
      fetch(`/tracks/${root.dataset.trackId}/play`, { method: "POST" }).catch(() => {});
    }
  });
  const seekTo = (fraction) => {
    const total = duration();
    if (total) audio.currentTime = Math.max(0, Math.min(1, fraction)) * total;
    last = audio.currentTime;
  };
  bar.addEventListener("click", (e) => {
    const rect = bar.getBoundingClientRect();
    seekTo((e.clientX - rect.left) / rect.width);
  });
  bar.addEventListener("keydown", (e) => {
    const step = { ArrowRight: 5, ArrowLeft: -5 }[e.key];
    if (step && duration()) {
      e.preventDefault();
      seekTo((audio.currentTime + step) / duration());
    }
  });
}
