// Draws a track's peaks on a <canvas>: the played part in --accent, the rest in the canvas's
// CSS color at low opacity. Optionally seekable by click and keyboard.

const BAR = 2; // bar width and gap, CSS px
const GAP = 1;

/** @type {Map<string, Promise<number[]|null>>} tracks are immutable: fetch each once */
const cache = new Map();

/** A peak as a 0..1 level: the API sends (min, max) pairs in -1..1; plain numbers work too. */
const level = (p) => (Array.isArray(p) ? Math.max(Math.abs(p[0]), Math.abs(p[1])) : Math.abs(Number(p)) || 0);

/** {"peaks": [...]} from url, or null on any failure (then a flat line is drawn). */
export function loadPeaks(url) {
  if (!cache.has(url)) {
    const peaks = fetch(url, { credentials: "same-origin" })
      .then((res) => (res.ok ? res.json() : null))
      .then((data) => (Array.isArray(data?.peaks) ? data.peaks.map(level) : null))
      .catch(() => null);
    cache.set(url, peaks);
    peaks.then((p) => p || cache.delete(url)); // try failures again next time
  }
  return /** @type {Promise<number[]|null>} */ (cache.get(url));
}

export class Waveform {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(fraction: number) => void} [onSeek] click/Home/End/Enter; makes the canvas focusable
   * @param {(seconds: number) => void} [onStep] arrow keys, ±5 s
   */
  constructor(canvas, onSeek, onStep) {
    this.canvas = canvas;
    /** @type {number[]|null} */
    this.peaks = null;
    this.progress = 0;
    this.drawn = ""; // size and played bars last drawn: most frames need no redraw
    // redraw on the next frame: resizing inside the callback could loop (and log an error)
    this.resize = new ResizeObserver(() => requestAnimationFrame(() => this.draw(true)));
    this.resize.observe(canvas);
    if (!onSeek) return;
    canvas.addEventListener("click", (e) => {
      const box = canvas.getBoundingClientRect();
      if (box.width) onSeek(Math.min(1, Math.max(0, (e.clientX - box.left) / box.width)));
    });
    if (!canvas.hasAttribute("tabindex")) canvas.tabIndex = 0;
    canvas.addEventListener("keydown", (e) => {
      const step = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5 }[e.key];
      if (step) onStep?.(step);
      else if (e.key === "Home" || e.key === "End") onSeek(e.key === "Home" ? 0 : 1);
      else if (e.key === "Enter") onSeek(this.progress);
      else return;
      e.preventDefault();
    });
  }

  setPeaks(peaks) {
    this.peaks = peaks;
    this.draw(true);
  }

  setProgress(fraction) {
    this.progress = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
    this.draw();
  }

  destroy() {
    this.resize.disconnect();
  }

  draw(force = false) {
    const { canvas, peaks } = this;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const bars = Math.floor((width + GAP) / (BAR + GAP));
    const played = Math.round(this.progress * bars);
    const key = `${width}x${height}:${played}`;
    if (!bars || !height || (!force && key === this.drawn)) return;
    this.drawn = key;
    const ratio = devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.scale(ratio, ratio);
    const style = getComputedStyle(canvas);
    const accent = style.getPropertyValue("--accent").trim() || "#6a9fff";
    const per = (peaks?.length ?? 0) / bars;
    for (let i = 0; i < bars; i++) {
      const from = Math.floor(i * per);
      const to = Math.min(peaks?.length ?? 0, Math.max(Math.floor((i + 1) * per), from + 1));
      let level = 0.04; // the loudest peak in this bar's slice; a thin line at least
      for (let j = from; j < to; j++) level = Math.max(level, Math.min(1, peaks?.[j] || 0));
      ctx.fillStyle = i < played ? accent : style.color;
      ctx.globalAlpha = i < played ? 1 : 0.35;
      ctx.fillRect(i * (BAR + GAP), ((1 - level) * height) / 2, BAR, level * height);
    }
  }
}
