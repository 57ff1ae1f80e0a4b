// The live event feed: the gateway's SSE stream read with fetch (so the token stays in a header), kept
// open for the whole login. It is opened again, from the last event id, whenever it ends: the gateway
// ends it after each token lifetime, restarts, or the network drops it; JetStream replays what was
// published meanwhile, so nothing is missed and nothing comes twice. Each event is dispatched on
// `document` as a "cityops:event" CustomEvent ({ id, type, data }) for whichever view wants it.
import { refreshOrEnd, session } from "./session.js";

// The gateway sends at least a keepalive every 5 s (events/feed.py KEEPALIVE_S): nothing for this long
// means the connection died without a word (a dropped NAT entry, a half-open socket), so open another.
const SILENCE_MS = 9000;
const RETRY_MS = [500, 1000, 2000, 3000];
// Connections that failed in a row; a connection that opened starts the count again.
let lastEventId = null, listening = false, failures = 0;

function dispatch(block) {
  let type = "message", data = null;
  for (const line of block.split("\n")) {
    if (line.startsWith("id: ")) lastEventId = line.slice(4);
    else if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data = JSON.parse(line.slice(6));
  }
  if (data) document.dispatchEvent(new CustomEvent("cityops:event", { detail: { id: lastEventId, type, data } }));
}

// One connection, until it ends; true when it streamed a while and ended (reconnect at once).
async function stream(path, onState) {
  const controller = new AbortController(), opened = Date.now();
  let watchdog;
  const alive = () => { clearTimeout(watchdog); watchdog = setTimeout(() => controller.abort(), SILENCE_MS); };
  alive();
  try {
    const headers = { Authorization: `Bearer ${session.token}` };
    if (lastEventId) headers["Last-Event-ID"] = lastEventId;
    const response = await fetch(path, { headers, signal: controller.signal });
    if (response.status === 401) return (await refreshOrEnd()) === "ok";
    if (!response.ok) throw new Error(String(response.status));
    failures = 0;
    onState("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return Date.now() - opened > 1000;
      alive();
      buffer += value;
      let cut;
      // A block cut short by a dropped connection is never dispatched: its id is not taken, so it is replayed.
      while ((cut = buffer.indexOf("\n\n")) >= 0) { dispatch(buffer.slice(0, cut)); buffer = buffer.slice(cut + 2); }
    }
  } catch (e) {
    console.warn("events", e);
    return false;
  } finally {
    clearTimeout(watchdog);
  }
}

// Listen to `types` while the login lasts; onState("live" | "reconnecting").
export async function listen(types, onState) {
  if (listening) return;
  listening = true;
  const path = `/api/v1/events?${types.map((type) => `types=${type}`).join("&")}`;
  while (session.token) {
    if (await stream(path, onState)) continue;
    if (!session.token) break;
    onState("reconnecting");
    await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]));
  }
  listening = false;
}
