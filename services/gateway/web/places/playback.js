// Playback of recorded footage: #/playback/<camera>[,<camera>…]?t=<ISO time>[&alert=<id>].
// Each camera plays the remuxed clip (clip.mp4, H.264 as recorded, no re-encoding) in a <video>, fetched
// with the media cookie into a Blob: a streamed clip has no byte ranges, so Chromium could not seek in it
// (its seekable range stays [0, 0]); a Blob is seekable throughout. GET …/clip with the same range says
// which wall-clock instant is media time 0.
// Footage comes with faces and plates pixelated (re-encoded by ingest as it streams, slower than a remux)
// unless the user holds footage:raw and gives a reason: the reason field (for those users only) asks for
// the recorded footage itself, and each such clip is an audit line with that reason.
// A timeline shows recorded coverage and alert markers; a click plays from that moment. With several
// cameras the first is the master clock and the others follow it (rate nudged, or a seek if far off).
const WINDOW_MS = 2 * 60 * 1000; // one clip request: two minutes from the position (a few MB)
const SPAN_MS = 60 * 60 * 1000; // the timeline shows the hour around the position
const SPEEDS = [1, 2, 4];
const MAX_CAMERAS = 4;
const FAR_MS = 1000; // a follower further than this from the master seeks; closer, its rate is nudged
const NEAR_MS = 40;

let ctx; // the screen context (core/router.js)
let view; // the playback section (the router's root for this screen)
let session = null; // { players, rate, playing, from, to, tick, at (the last position asked for) }
// A page opened with ?reason=… gives it for the session, as the reason field does.
let rawReason = new URLSearchParams(location.search).get("reason") ?? sessionStorage.getItem("cityops.rawReason") ?? "";

// The link that opens playback of an alert: 10 s before it starts, its camera, its marker.
export function alertLink(alert) {
  const at = new Date(new Date(alert.started_at).getTime() - 10_000).toISOString();
  return `#/playback/${encodeURIComponent(alert.camera)}?t=${encodeURIComponent(at)}&alert=${encodeURIComponent(alert.alert_id ?? alert.id)}`;
}

export function cameraLink(camera, at = new Date(Date.now() - 5 * 60_000)) {
  return `#/playback/${encodeURIComponent(camera.id ?? camera)}?t=${encodeURIComponent(at.toISOString())}`;
}

// The screen (web/screens/index.js registers it): #/playback/<camera>[,<camera>…]?t=…, not in the nav.
export default {
  name: "playback",
  label: null,
  permission: "cameras:read",
  async mount(root, context, params) {
    ctx = context;
    view = root;
    const cameras = (params.path[0] ?? "").split(",").filter(Boolean).slice(0, MAX_CAMERAS);
    const at = Date.parse(params.query.get("t") ?? "") || Date.now() - 5 * 60_000;
    await open(cameras, at).catch((e) => view.replaceChildren(ctx.el("p", { class: "error", role: "alert" }, e.message)));
  },
  unmount: close,
};

function close() {
  if (!session) return;
  clearInterval(session.tick);
  session.players.forEach((p) => { p.video.removeAttribute("src"); p.video.load(); if (p.blob) URL.revokeObjectURL(p.blob); });
  session = null;
}

async function open(cameras, at) {
  const from = at - SPAN_MS / 2, to = Math.min(at + SPAN_MS / 2, Date.now());
  session = { players: [], rate: 1, playing: true, from, to, tick: null };
  const players = await Promise.all(cameras.map((id) => player(id, from, to)));
  session.players = players;
  players[0].node.classList.add("master");
  const speeds = SPEEDS.map((s) => ctx.el("button", { type: "button", class: "speed", "data-speed": s, "aria-pressed": String(s === 1),
    onclick: () => setRate(s) }, `${s}×`));
  const toggle = ctx.el("button", { type: "button", id: "play-toggle", onclick: () => setPlaying(!session.playing) }, ctx.t("pause"));
  const clock = ctx.el("output", { id: "play-clock" });
  view.replaceChildren(ctx.el("div", { class: "panel-head" }, ctx.el("h2", {}, ctx.t("playback")), toggle, ...speeds, clock,
    ...(ctx.can("footage:raw") ? [reasonForm()] : []),
    ctx.el("a", { href: "#/" }, ctx.t("close"))), ctx.el("div", { class: `players n${players.length}` }, ...players.map((p) => p.node)));
  await seek(at);
  session.tick = setInterval(follow, 250);
}

// The reason for raw footage: applied to every camera from where the master is.
function reasonForm() {
  const input = ctx.el("input", { id: "raw-reason", name: "reason", maxlength: "500", value: rawReason });
  return ctx.el("form", { class: "raw-reason", onsubmit: (e) => {
    e.preventDefault();
    rawReason = input.value.trim();
    sessionStorage.setItem("cityops.rawReason", rawReason);
    // Where the master is, or where it is still going (its first clip may be loading).
    const at = wallclock(session.players[0]) ?? session.at;
    session.players.forEach((p) => { p.origin = null; });
    seek(at);
  } }, ctx.el("label", { for: "raw-reason" }, ctx.t("rawreason")), input,
  ctx.el("button", { type: "submit" }, ctx.t("rawapply")));
}

async function player(camera, from, to) {
  const range = `start=${encodeURIComponent(new Date(from).toISOString())}&end=${encodeURIComponent(new Date(to).toISOString())}`;
  const [info, coverage, alerts] = await Promise.all([
    ctx.api(`/api/v1/cameras/${encodeURIComponent(camera)}`),
    ctx.api(`/api/v1/cameras/${encodeURIComponent(camera)}/coverage?${range}`),
    ctx.allItems(`/api/v1/alerts?camera=${encodeURIComponent(camera)}&since=${encodeURIComponent(new Date(from).toISOString())}&until=${encodeURIComponent(new Date(to).toISOString())}&limit=200`, 5)]);
  const video = ctx.el("video", { muted: "", playsinline: "", preload: "auto" });
  video.muted = true;
  const p = { camera, video, origin: null, clipEnd: 0, loading: null, node: null, line: null, blob: null, fetching: null };
  const line = timeline(p, coverage, alerts, from, to);
  p.line = line;
  p.node = ctx.el("figure", { class: "player", "data-camera": camera },
    ctx.el("div", { class: "screen" }, video, ctx.el("p", { class: "nofootage", hidden: "" }, ctx.t("nofootage"))),
    ctx.el("figcaption", {}, info.name), line);
  // The end of a clip window: the next window from there, still playing.
  video.addEventListener("ended", () => {
    if (p.origin !== null && session?.playing) load(p, wallclock(p)).then(() => session?.playing && video.play()).catch(console.warn);
  });
  return p;
}

const pct = (at) => `${((at - session.from) / (session.to - session.from)) * 100}%`;

// Recorded ranges as bars, alerts as markers; a click anywhere plays every camera from that moment.
function timeline(p, coverage, alerts, from, to) {
  const span = to - from;
  const place = (node, start, end) => {
    node.style.left = `${((start - from) / span) * 100}%`;
    if (end !== undefined) node.style.width = `${Math.max(0.2, ((end - start) / span) * 100)}%`;
    return node;
  };
  const line = ctx.el("div", { class: "timeline", role: "slider", tabindex: "0", "aria-label": ctx.t("timeline"),
    onclick: (e) => { const box = line.getBoundingClientRect(); seek(from + ((e.clientX - box.left) / box.width) * span); } },
    ...coverage.map((r) => place(ctx.el("span", { class: "covered" }), Date.parse(r.start_at), Date.parse(r.end_at))),
    ...alerts.map((a) => place(ctx.el("button", { type: "button", class: "marker", "data-alert": a.id, "data-at": a.started_at,
      title: `${a.rule_name} · ${new Date(a.started_at).toLocaleTimeString()}`,
      onclick: (e) => { e.stopPropagation(); seek(Date.parse(a.started_at)); } }), Date.parse(a.started_at))),
    ctx.el("span", { class: "head" }));
  return line;
}

function wallclock(p) {
  return p.origin === null ? null : p.origin + p.video.currentTime * 1000;
}

// A clip from ``at`` (its first frame is the keyframe before), positioned exactly on ``at``.
async function load(p, at) {
  const start = new Date(at).toISOString(), end = new Date(Math.min(at + WINDOW_MS, Date.now())).toISOString();
  const range = `start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`;
  const base = `/api/v1/cameras/${encodeURIComponent(p.camera)}`;
  let clip;
  try {
    clip = await ctx.api(`${base}/clip?${range}`);
  } catch (e) {
    if (e.status !== 416) throw e;
    p.origin = null; p.video.removeAttribute("src"); p.node.querySelector(".nofootage").hidden = false;
    return;
  }
  p.node.querySelector(".nofootage").hidden = true;
  p.origin = Date.parse(clip.start_at);
  p.clipEnd = Date.parse(clip.end_at);
  const reason = rawReason ? `&reason=${encodeURIComponent(rawReason)}` : "";
  // A newer load (another position, a reason given) replaces this one: its redaction stops upstream too.
  p.fetching?.abort();
  const fetching = p.fetching = new AbortController();
  const response = await fetch(`${base}/clip.mp4?${range}&purpose=playback${reason}`, { credentials: "same-origin", signal: fetching.signal });
  if (!response.ok) throw new Error(`clip ${p.camera}: ${response.status}`);
  const blob = await response.blob();
  if (p.fetching !== fetching) return;
  if (p.blob) URL.revokeObjectURL(p.blob);
  p.blob = URL.createObjectURL(blob);
  p.video.src = p.blob;
  p.video.playbackRate = session.rate;
  await once(p.video, "loadedmetadata");
  await moveTo(p, at);
}

function once(target, event) {
  return new Promise((resolve, reject) => {
    target.addEventListener(event, resolve, { once: true });
    target.addEventListener("error", () => reject(new Error(`${event}: ${target.error?.message ?? "error"}`)), { once: true });
  });
}

async function moveTo(p, at) {
  const done = once(p.video, "seeked");
  p.video.currentTime = Math.max(0, (at - p.origin) / 1000);
  await done;
}

// Within what the player already holds the seek is local; elsewhere a new clip is fetched.
function holds(p, at) {
  if (p.origin === null || at < p.origin) return false;
  const t = (at - p.origin) / 1000, b = p.video.seekable;
  for (let i = 0; i < b.length; i++) if (t >= b.start(i) && t <= b.end(i) - 0.2) return true;
  return false;
}

export async function seek(at) {
  if (!session) return;
  session.at = at;
  session.seeking = true;
  try {
    await Promise.all(session.players.map((p) => (holds(p, at) ? moveTo(p, at) : load(p, at)).catch(console.warn)));
  } finally { session.seeking = false; }
  setPlaying(session.playing);
  show();
}

function setPlaying(playing) {
  session.playing = playing;
  for (const p of session.players) if (p.origin !== null) { if (playing) p.video.play().catch(() => {}); else p.video.pause(); }
  view.querySelector("#play-toggle").textContent = ctx.t(playing ? "pause" : "play");
  view.dataset.playing = String(playing);
}

function setRate(rate) {
  session.rate = rate;
  session.players.forEach((p) => { p.video.playbackRate = rate; });
  view.querySelectorAll(".speed").forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === rate)));
  view.dataset.rate = String(rate);
}

// The master's clock drives the others: a small drift is absorbed by a nudged rate, a large one by a seek.
function follow() {
  if (!session || session.seeking) return;
  const master = session.players[0];
  const now = wallclock(master);
  if (now !== null && session.playing) {
    for (const p of session.players.slice(1)) {
      const at = wallclock(p);
      if (at === null || p.loading) continue;
      const drift = at - now;
      if (Math.abs(drift) > FAR_MS) {
        p.loading = (holds(p, now) ? moveTo(p, now) : load(p, now)).then(() => p.video.play()).catch(console.warn).finally(() => { p.loading = null; });
      } else {
        p.video.playbackRate = Math.abs(drift) < NEAR_MS ? session.rate : session.rate * Math.min(1.5, Math.max(0.5, 1 - drift / 1000));
      }
    }
  }
  show();
}

function show() {
  for (const p of session.players) {
    const at = wallclock(p);
    p.node.dataset.at = at === null ? "" : String(Math.round(at));
    if (at !== null) p.line.querySelector(".head").style.left = pct(at);
  }
  const now = wallclock(session.players[0]);
  view.dataset.at = now === null ? "" : String(Math.round(now));
  view.querySelector("#play-clock").textContent = now === null ? "—" : new Date(now).toLocaleString();
}
