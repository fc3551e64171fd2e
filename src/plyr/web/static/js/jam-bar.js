// The jam's controls: "start a jam" in the queue panel, the jam bar above the player (link with
// copy and share, who is in, who is the speaker, "play here", leave, "tap to join the sound"),
// and the /jam/{code} page joining once the listener is signed in.
import { byId } from "./format.js";
import { toast } from "./toast.js";

/** @typedef {import("./jam.js").Jams} Jams */

const nameOf = (person) => person?.display_name || (person?.handle ? `@${person.handle}` : "someone");
const jamUrl = (code) => `${location.origin}/jam/${encodeURIComponent(code)}`;

/** @param {{did: string, handle: string, display_name?: string|null, avatar_url?: string|null}} person */
function avatar(person, speaking) {
  const li = document.createElement("li");
  li.title = nameOf(person);
  li.dataset.did = person.did;
  if (speaking) li.dataset.speaking = "true";
  const face = person.avatar_url ? Object.assign(document.createElement("img"), { src: person.avatar_url, alt: "" }) : document.createElement("span");
  face.className = person.avatar_url ? "avatar" : "avatar avatar-letter";
  if (!person.avatar_url) face.textContent = (person.display_name || person.handle || "?").slice(0, 1).toLowerCase();
  const label = Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: nameOf(person) });
  li.append(face, label);
  return li;
}

/** Who plays the sound, in words. @param {Jams} jams */
function speakerText(jams) {
  const state = jams.shown;
  if (!state) return "";
  if (state.output_mode === "everyone") return "playing on everyone's device";
  if (state.output_client_id === jams.clientId) return "playing here";
  if (!state.output_client_id) return "no speaker yet";
  if (state.output_did === jams.me.did) return "playing on your other device";
  return `playing on ${nameOf(jams.jam?.participants.find((p) => p.did === state.output_did))}'s device`;
}

/** @param {Jams} jams */
function render(jams) {
  const bar = byId("jam-bar");
  const start = byId("jam-start");
  if (start) start.hidden = jams.active || !jams.me.did;
  if (!bar) return;
  bar.hidden = !jams.active;
  document.documentElement.toggleAttribute("data-jam", jams.active);
  const { jam, shown } = jams;
  if (!jam || !shown) return;
  const link = byId("jam-link");
  if (link) {
    link.textContent = jam.name || jam.code;
    link.setAttribute("href", `/jam/${encodeURIComponent(jam.code)}`);
  }
  const code = byId("jam-code");
  if (code) code.textContent = jam.name ? jam.code : ""; // the link says the code when unnamed
  const share = byId("jam-share");
  if (share) share.hidden = !navigator.share;
  const people = (jam.participants ?? []).map((p) => (typeof p === "string" ? { did: p, handle: p } : p));
  byId("jam-people")?.replaceChildren(...people.map((p) => avatar(p, shown.output_mode === "one_speaker" && p.did === shown.output_did)));
  const speaker = byId("jam-speaker");
  if (speaker) speaker.textContent = speakerText(jams);
  const here = byId("jam-play-here");
  if (here) here.hidden = shown.output_mode === "everyone" || shown.output_client_id === jams.clientId;
  const mode = byId("jam-mode"); // the host's: every device plays, or one speaker
  if (mode) {
    mode.hidden = jam.host?.did !== jams.me.did;
    mode.setAttribute("aria-pressed", String(shown.output_mode === "everyone"));
  }
  bar.dataset.role = jams.audible ? "speaker" : "remote";
}

async function copyLink(code) {
  try {
    await navigator.clipboard.writeText(jamUrl(code));
    toast("jam link copied", "success", { timeout: 2500 });
  } catch {
    toast(jamUrl(code), "info"); // no clipboard access: show it to copy by hand
  }
}

/** @param {Jams} jams @param {import("./player.js").Player} player */
export function bindJamBar(jams, player) {
  const unmute = (show) => {
    const button = byId("jam-unmute");
    if (button) button.hidden = !show;
  };
  jams.addEventListener("change", () => render(jams));
  player.addEventListener("blocked", () => jams.active && unmute(true));
  player.addEventListener("statechange", () => !player.audio.paused && unmute(false));
  jams.addEventListener("change", () => (!jams.active || !jams.audible) && unmute(false));

  /** @type {Record<string, () => unknown>} */
  const actions = {
    "jam-start": () => jams.start().then(() => toast("jam started: share the link", "success", { timeout: 3000 })),
    "jam-copy": () => jams.jam && copyLink(jams.jam.code),
    "jam-share": () => jams.jam && navigator.share?.({ title: "join my jam on plyr", url: jamUrl(jams.jam.code) }).catch(() => {}),
    "jam-play-here": () => jams.playHere(),
    "jam-mode": () => jams.setMode(jams.shown?.output_mode === "everyone" ? "one_speaker" : "everyone"),
    "jam-unmute": () => (unmute(false), jams.unblock()),
    "jam-leave": () => jams.leave().then(() => toast("you left the jam", "info", { timeout: 2500 })),
  };
  document.addEventListener("click", (e) => {
    const target = e.target instanceof Element ? e.target.closest("button[id^='jam-']") : null;
    const action = target && actions[target.id];
    if (!action) return;
    e.preventDefault();
    Promise.resolve(action()).catch((err) => toast(err instanceof Error ? err.message : "that did not work", "error"));
  });
  render(jams);
}

/** On /jam/{code} (signed in): join it, then say so on the page. @param {Jams} jams */
export async function joinFromPage(jams) {
  const page = document.querySelector("[data-jam-join]");
  const code = page?.getAttribute("data-jam-join");
  if (!page || !code || page.hasAttribute("data-joined")) return;
  page.setAttribute("data-joined", "");
  const status = page.querySelector("[data-jam-status]");
  try {
    const jam = await jams.join(code);
    const count = page.querySelector(".jam-count");
    const n = jam.participants?.length ?? 0;
    if (count && n) count.textContent = `${n} ${n === 1 ? "listener" : "listeners"}`; // with you now
    if (status) status.textContent = "you're in. everyone here controls the music; the jam bar is below.";
    page.setAttribute("data-joined", "true");
  } catch (err) {
    if (status) status.textContent = err instanceof Error ? err.message : "could not join the jam";
    page.setAttribute("data-joined", "false");
  }
}
