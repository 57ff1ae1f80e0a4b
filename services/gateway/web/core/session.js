// A login that lasts a shift. The access token goes in an Authorization header and is refreshed before
// it expires; every refresh also renews the HttpOnly media cookie that <img>, <video> and event streams
// send, so no token is ever written into a URL. The login ends only when the gateway refuses a refresh
// (its absolute end, a refresh token left unused past the idle limit, a revocation): a refresh that did
// not reach the gateway (restarting, network down) is tried again, and a tab that slept refreshes on waking.
// A refresh whose answer was lost is tried again with the same refresh token too: the gateway answers
// such a retry with a fresh pair within CITYOPS_GATEWAY_REFRESH_RETRY_S (30 s) rather than ending the login.

const TOKEN = "cityops.token", REFRESH = "cityops.refresh";
// Waits between refreshes that did not reach the gateway: soon at first, then every few seconds.
const RETRY_MS = [1000, 2000, 3000];
const REFRESH_TIMEOUT_MS = 8000;

export const session = {
  token: sessionStorage.getItem(TOKEN),
  refreshToken: sessionStorage.getItem(REFRESH),
  // Called once the login has ended (refused, logged out): the page shows the login form.
  onEnd: () => {},
};
let timer = null, dueAt = Infinity, failures = 0, pending = null;

function schedule(ms) {
  clearTimeout(timer);
  dueAt = Date.now() + ms;
  timer = setTimeout(renew, ms);
}

export function keep(tokens) {
  session.token = tokens.access_token; session.refreshToken = tokens.refresh_token;
  sessionStorage.setItem(TOKEN, session.token); sessionStorage.setItem(REFRESH, session.refreshToken);
  failures = 0;
  // At four fifths of its life: a slow answer still arrives before the access token expires.
  schedule(tokens.expires_in * 800);
}

// "ok", "refused" (the login is over) or "unreachable" (try again later). One exchange at a time: a
// refresh token is good once, and a second use would end the login.
export function refresh() {
  if (!session.refreshToken) return Promise.resolve("refused");
  // With a time limit: a request on a connection that died silently would otherwise wait for ever.
  pending ??= fetch("/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ grant_type: "refresh_token", refresh_token: session.refreshToken }),
      signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS) })
    .then(async (response) => {
      if (response.ok) { keep(await response.json()); return "ok"; }
      // 401: expired, idle, revoked or replayed. A 429, or a proxy's 502/503 while the gateway restarts, is not an answer.
      return response.status === 401 || response.status === 422 ? "refused" : "unreachable";
    })
    .catch(() => "unreachable")
    .finally(() => { pending = null; });
  return pending;
}

// A refresh whose refusal ends the login; what the timer, api() and the event feed use.
export async function refreshOrEnd() {
  const outcome = await refresh();
  if (outcome === "refused") end();
  return outcome;
}

async function renew() {
  if ((await refreshOrEnd()) === "unreachable") schedule(RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
}

// A tab that slept (laptop lid, a hidden tab's throttled timers) or lost the network refreshes as soon
// as it can again, rather than when a late timer fires.
const wake = () => { if (session.refreshToken && Date.now() >= dueAt) renew(); };
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") wake(); });
document.addEventListener("resume", wake);
window.addEventListener("online", wake);

// After a reload: a fresh pair (the stored access token and the cookie may have expired); true once the
// login is back, false when it is over. Waits out a gateway that is not there.
export async function resume() {
  for (;;) {
    const outcome = await refresh();
    if (outcome !== "unreachable") return outcome === "ok";
    await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]));
  }
}

export function end() {
  session.token = null; session.refreshToken = null;
  clearTimeout(timer); dueAt = Infinity;
  sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(REFRESH);
  session.onEnd();
}

// The operator logs out: the login is revoked on the gateway (its tokens and the media cookie).
export function logout() {
  if (session.refreshToken) fetch("/api/v1/auth/logout", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refreshToken }) }).catch(console.warn);
  end();
}

// raw: the Response itself (a file to download), once it is known to be ok.
export async function api(path, { method = "GET", body, form, raw = false, retried = false } = {}) {
  const headers = { Accept: raw ? "*/*" : "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let payload;
  // A FormData (a file upload) goes as multipart, a plain object as a urlencoded form.
  if (form) { payload = form instanceof FormData ? form : new URLSearchParams(form); }
  // A file (a Blob) goes as it is, typed by its own type (an upload of values, an attachment).
  else if (body instanceof Blob) { headers["Content-Type"] = body.type || "application/octet-stream"; payload = body; }
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const response = await fetch(path, { method, headers, body: payload });
  if (response.status === 401 && path !== "/api/v1/auth/token") {
    // An access token that expired (the tab slept past its refresh) or was revoked: one refresh, one retry.
    if (!retried && (await refreshOrEnd()) === "ok") return api(path, { method, body, form, raw, retried: true });
    if (retried) end();
    throw Object.assign(new Error("unauthorized"), { status: 401 });
  }
  if (raw && response.ok) return response;
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) throw Object.assign(new Error(data?.detail || response.statusText), { status: response.status, data });
  return data;
}
