// The operations-center dashboard: plain ES modules on the public /api/v1 only (no build step).
// This is the composition: login, the nav built from the screen registry (what the user may see), the
// language switch and the router; each screen lives in web/screens/.
import { allItems, api, download, items } from "./core/api.js";
import { $, el, svgEl } from "./core/dom.js";
import { listen } from "./core/feed.js";
import { lang, setLanguage, t } from "./core/i18n.js";
import { createRouter } from "./core/router.js";
import { keep, logout, resume, session } from "./core/session.js";
import screens from "./screens/index.js";
import { setLiveState } from "./screens/alerts.js";
import "./core/alerts.js";

// Screens in the nav have texts of their own (locales/<lang>/<screen>.json); places use common.json.
const names = screens.filter((s) => s.label).map((s) => s.name);
let me = null;
const can = (permission) => Boolean(me?.permissions.includes(permission));
// The same address again (a search repeated) is routed again: no hashchange would fire.
const go = (hash) => { if (location.hash === hash) router.route(); else location.hash = hash; };
const ctx = { api, items, allItems, download, el, svgEl, t, get lang() { return lang; }, get me() { return me; }, can, go };

const router = createRouter({ screens, ctx, main: $("main"), onShow: (name) => {
  document.querySelectorAll("#tabs button").forEach((b) => b.setAttribute("aria-current", b.dataset.screen === name ? "page" : "false"));
} });

// One button per screen the user may use (buttons, so the keyboard reaches them).
function buildNav() {
  $("#tabs").replaceChildren(...screens.filter((s) => s.label && (s.permission == null || can(s.permission)))
    .map((s) => el("button", { type: "button", "data-screen": s.name, onclick: () => go(`#/${s.name}`) }, t(s.label))));
}

async function login(event) {
  event.preventDefault();
  $("#login-error").textContent = "";
  try {
    keep(await api("/api/v1/auth/token", { method: "POST", form: { username: $("#username").value, password: $("#password").value } }));
  } catch (e) { $("#login-error").textContent = t("login.failed"); return; }
  await start();
}

// The login is over (logged out, or refused by the gateway): back to the login form.
function endSession() {
  me = null;
  router.stop();
  $("#login").hidden = false; $("#tabs").hidden = true; $("#logout").hidden = true; $("#who").textContent = "";
}

async function start() {
  me = await api("/api/v1/auth/me");
  $("#who").textContent = `${me.name} (${me.roles.join(", ") || me.kind})`;
  $("#login").hidden = true; $("#tabs").hidden = false; $("#logout").hidden = false;
  buildNav();
  // The live feed is for who may read events (an inspector may not: no endless refused reconnects).
  if (can("events:read")) listen(["alert", "camera_status", "case"], setLiveState);
  await router.start();
}

async function switchLanguage(wanted) {
  localStorage.setItem("cityops.lang", await setLanguage(wanted, names));
  $("#lang").value = lang;
  if (me) { buildNav(); await router.route(); }
}

$("#login-form").addEventListener("submit", login);
$("#logout").addEventListener("click", logout);
$("#lang").addEventListener("change", (e) => switchLanguage(e.target.value));
session.onEnd = endSession;
await switchLanguage(localStorage.getItem("cityops.lang") || "vi");
// A reload keeps the login (session.js: a fresh pair first).
if (session.refreshToken && (await resume())) await start(); else endSession();
