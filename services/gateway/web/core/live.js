// Live video for wall tiles and the single view: fragmented MP4 over ONE WebSocket per page
// (/api/v1/live), played with Media Source Extensions. One connection carries every camera of the
// page, so a wall is not limited by the browser's six connections per host (MJPEG was).
//
// Stable API (app.js and the walls module use it):
//
//   liveTile(camera, { quality = "sub" } = {}) → HTMLDivElement
//     camera   a camera id, or an object with .id (and .name, used as the video's label)
//     quality  "sub": the small stream, for tiles; "main": full rate, for a single view
//   The element is <div class="live" data-camera data-quality data-live> holding a
//   <video muted autoplay playsinline>. data-live is the state: "waiting", "live", "offline",
//   "unknown", "forbidden", "unsupported" (the browser cannot play the codec) or "reconnecting";
//   each change also fires a "livestatus" event (detail: the state). It starts watching at once and
//   stops by itself once it has left the document (or call element.stop()). Size it with CSS; the
//   video fills it.
//
// The page's socket reconnects by itself (backoff capped at 2 s) and watches every tile again, so
// tiles come back within seconds of a gateway restart or a network blip. Authentication is the
// HttpOnly media cookie the gateway sets at login and refresh; no token goes into the URL.
//
// Faces and number plates are pixelated in every tile unless the user holds footage:raw and gives a
// reason: a page opened with ?reason=… (before the #) passes it on the socket's URL, and the gateway
// decides (and writes the reason in the audit line).
import { t } from "./i18n.js";

const MAX_BACKOFF_MS = 2000;
// No message for this long (the server sends a keepalive every 5 s): the socket is dead, replace it.
const SILENCE_MS = 12000;
// Latency: behind the newest frame by more than JUMP_S, jump to it; by more than CATCH_UP_S, play a
// little faster. Keep at most KEEP_S of played video in the buffer.
const JUMP_S = 1.0;
const CATCH_UP_S = 0.35;
const KEEP_S = 6;
// Pieces waiting to be appended (a hidden tab appends nothing): beyond, wait for the next keyframe.
const MAX_QUEUE = 240;

const tiles = new Map(); // "camera/quality" → Set of players
const socket = { ws: null, attempt: 0, timer: null, lastMessage: 0 };

export function liveTile(camera, { quality = "sub" } = {}) {
  const id = typeof camera === "string" ? camera : camera.id;
  const video = document.createElement("video");
  Object.assign(video, { muted: true, autoplay: true, playsInline: true });
  video.setAttribute("muted", "");
  video.setAttribute("playsinline", "");
  if (camera.name) video.setAttribute("aria-label", camera.name);
  const element = document.createElement("div");
  element.className = "live";
  element.dataset.camera = id;
  element.dataset.quality = quality;
  element.append(video);
  const player = new Player(element, video, id, quality);
  element.stop = () => player.stop();
  const key = `${id}/${quality}`;
  if (!tiles.has(key)) {
    tiles.set(key, new Set());
    send({ op: "watch", camera: id, quality });
  }
  tiles.get(key).add(player);
  player.setState(socket.ws?.readyState === WebSocket.OPEN ? "waiting" : "reconnecting");
  ensureSocket();
  return element;
}

function label(state) {
  return t(`video.${state}`);
}

class Player {
  constructor(element, video, camera, quality) {
    Object.assign(this, { element, video, camera, quality, key: `${camera}/${quality}` });
    this.queue = [];
    this.synced = false; // an init segment was seen: fragments may be appended
    this.born = performance.now();
  }

  setState(state) {
    if (this.element.dataset.live === state) return;
    this.element.dataset.live = state;
    this.element.dataset.liveLabel = label(state);
    this.element.dispatchEvent(new CustomEvent("livestatus", { detail: state }));
  }

  // A piece from the socket: an init segment (before every keyframe) or a one-frame fragment.
  push(header, payload) {
    if (header.kind === "init") {
      if (header.codec !== this.codec) this.open(header.codec);
      // The same init again (it precedes every keyframe) needs no append; a new one (new resolution,
      // relay restarted) does.
      if (!same(payload, this.lastInit)) this.queue.push(payload);
      this.lastInit = payload;
      this.synced = true;
    } else if (this.synced) {
      this.queue.push(payload);
    } else {
      return; // joined mid-GOP: wait for the next keyframe
    }
    if (this.queue.length > MAX_QUEUE) this.resync();
    if (this.state !== "unsupported") this.setState("live");
    this.pump();
  }

  get state() { return this.element.dataset.live; }

  // A MediaSource for ``codec``; "sequence" mode places each fragment right after the previous one,
  // so a relay restarted by the server (new muxer, timestamps from 0) plays on without a gap.
  open(codec) {
    this.close();
    this.codec = codec;
    const mime = `video/mp4; codecs="${codec}"`;
    if (!window.MediaSource || !MediaSource.isTypeSupported(mime)) { this.setState("unsupported"); return; }
    const source = new MediaSource();
    this.source = source;
    source.addEventListener("sourceopen", () => {
      if (this.source !== source) return;
      this.buffer = source.addSourceBuffer(mime);
      this.buffer.mode = "sequence";
      this.buffer.addEventListener("updateend", () => { this.keepLive(); this.pump(); });
      this.pump();
    }, { once: true });
    this.video.src = URL.createObjectURL(source);
  }

  close() {
    if (this.video.src) URL.revokeObjectURL(this.video.src);
    this.source = null; this.buffer = null; this.lastInit = null;
    this.queue = [];
  }

  pump() {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || !this.queue.length || this.source?.readyState !== "open") return;
    const piece = this.queue.shift();
    try {
      buffer.appendBuffer(piece);
    } catch (e) {
      // QuotaExceeded or a decode error: start over at the next keyframe.
      console.warn("live", this.camera, e);
      this.open(this.codec);
      this.resync();
    }
  }

  // Stay at the live edge: jump when far behind, play slightly faster when a little behind, and drop
  // what has been played.
  keepLive() {
    const { video, buffer } = this;
    if (!buffer || buffer.updating || !buffer.buffered.length) return;
    const end = buffer.buffered.end(buffer.buffered.length - 1);
    const start = buffer.buffered.start(0);
    const behind = end - video.currentTime;
    if (video.currentTime < start || behind > JUMP_S) video.currentTime = Math.max(start, end - 0.1);
    else video.playbackRate = behind > CATCH_UP_S ? 1.15 : 1.0;
    if (video.paused) video.play().catch(() => {});
    if (video.currentTime - start > KEEP_S * 2) buffer.remove(0, video.currentTime - KEEP_S);
  }

  // Fragments lost (reconnected, or too many waiting): append again from the next keyframe. The
  // MediaSource stays: in "sequence" mode the next GOP simply follows.
  resync() { this.synced = false; this.queue = []; }

  stop() {
    const set = tiles.get(this.key);
    if (!set?.delete(this)) return;
    this.close();
    this.video.removeAttribute("src");
    this.video.load();
    if (!set.size) { tiles.delete(this.key); send({ op: "unwatch", camera: this.camera, quality: this.quality }); }
  }
}

function same(a, b) {
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a), y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function send(command) {
  if (socket.ws?.readyState === WebSocket.OPEN) socket.ws.send(JSON.stringify(command));
}

function each(key, fn) { for (const player of tiles.get(key) ?? []) fn(player); }

function ensureSocket() {
  if (socket.ws || socket.timer || !tiles.size) return;
  const reason = new URLSearchParams(location.search).get("reason");
  const query = reason ? `?reason=${encodeURIComponent(reason)}` : "";
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/live${query}`);
  ws.binaryType = "arraybuffer";
  socket.ws = ws;
  socket.lastMessage = performance.now();
  ws.onopen = () => {
    socket.attempt = 0;
    for (const key of tiles.keys()) {
      const [camera, quality] = key.split("/");
      ws.send(JSON.stringify({ op: "watch", camera, quality }));
      each(key, (p) => { p.resync(); p.setState("waiting"); });
    }
  };
  ws.onmessage = (event) => {
    socket.lastMessage = performance.now();
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.status) each(`${message.camera}/${message.quality}`, (p) => {
        if (message.status !== "live" || p.state !== "unsupported") p.setState(message.status);
      });
      else if (message.error) console.warn("live", message);
      return;
    }
    const view = new DataView(event.data);
    const length = view.getUint16(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(event.data, 2, length)));
    const payload = event.data.slice(2 + length);
    each(`${header.camera}/${header.quality}`, (p) => p.push(header, payload));
  };
  ws.onclose = () => {
    if (socket.ws !== ws) return;
    socket.ws = null;
    for (const set of tiles.values()) for (const p of set) p.setState("reconnecting");
    // Exponential from 250 ms (the gateway's close after a token lifetime: at once, as attempt is 0),
    // capped, jittered so that a room of screens does not reconnect in step.
    const delay = Math.min(250 * 2 ** socket.attempt++, MAX_BACKOFF_MS) * (0.8 + Math.random() * 0.4);
    socket.timer = setTimeout(() => { socket.timer = null; ensureSocket(); }, delay);
  };
}

// Housekeeping: tiles that left the document stop; a silent socket is replaced; the live edge is
// kept while nothing arrives (a paused camera) too.
setInterval(() => {
  const now = performance.now();
  for (const set of tiles.values()) {
    for (const p of [...set]) {
      if (!p.element.isConnected && now - p.born > 3000) p.stop();
      else p.keepLive();
    }
  }
  if (socket.ws?.readyState === WebSocket.OPEN && now - socket.lastMessage > SILENCE_MS) socket.ws.close();
  ensureSocket();
}, 1000);
