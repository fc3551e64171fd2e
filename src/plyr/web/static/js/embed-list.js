// The album and playlist embed: one <audio> playing the tracklist in order (a click on a
// track plays it; the next one follows when it ends), play/pause, seek, elapsed time. Plays
// count like anywhere else (after min(30 s, half the track) of listening).
const root = document.querySelector(".embed-list");
if (root) {
  const tracks = [...root.querySelectorAll(".list-track")];
  const audio = new Audio();
  audio.preload = "none";
  const button = root.querySelector(".play");
  const bar = root.querySelector(".bar");
  const fill = root.querySelector(".fill");
  const time = root.querySelector(".time");
  const now = root.querySelector(".now");
  let index = -1;
  let heard = 0;
  let last = 0;
  let counted = false;

  const format = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  const current = () => tracks[index];
  const duration = () => audio.duration || Number(current()?.dataset.duration) || 0;

  const load = (i) => {
    index = i;
    const track = current();
    audio.src = track.dataset.audio;
    heard = 0;
    last = 0;
    counted = false;
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
  audio.addEventListener("play", () => {
    button.dataset.state = "playing";
    button.setAttribute("aria-label", "pause");
  });
  audio.addEventListener("pause", () => {
    button.dataset.state = "paused";
    button.setAttribute("aria-label", "play");
  });
  audio.addEventListener("ended", () => {
    if (index + 1 < tracks.length) play(index + 1);
  });
  audio.addEventListener("timeupdate", () => {
    const at = audio.currentTime;
    if (at > last && at - last < 2) heard += at - last;
    last = at;
    const total = duration();
    fill.style.width = total ? `${(at / total) * 100}%` : "0";
    bar.setAttribute("aria-valuenow", String(Math.floor(at)));
    if (time) time.textContent = format(at);
    if (!counted && total && heard >= Math.min(30, total / 2)) {
      counted = true;
      fetch(`/tracks/${current().dataset.trackId}/play`, { method: "POST" }).catch(() => {});
    }
  });
  const seekTo = (fraction) => {
    const total = duration();
    if (index >= 0 && total) audio.currentTime = Math.max(0, Math.min(1, fraction)) * total;
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
