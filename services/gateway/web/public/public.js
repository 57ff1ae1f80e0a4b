// The public page (/public/): no login, for citizens and tourists. Three sections: report a problem,
// follow a report by its code (and rate it once handled), look up a business's listed prices. All text
// comes from locales/<lang>.json (vi, en, ko, zh: Sầm Sơn's main visitor groups); every request goes
// through the one API client, anonymously.
import { api } from "../core/api.js";
import { el } from "../core/dom.js";
import report from "./report.js";
import follow from "./follow.js";
import prices from "./prices.js";

const LANGS = ["vi", "en", "ko", "zh"];
const SECTIONS = { report, follow, prices };
const picker = document.getElementById("lang");
let texts = {};

function chosenLang() {
  const saved = localStorage.getItem("cityops.public.lang");
  if (LANGS.includes(saved)) return saved;
  // A visitor's phone says which language they read; Vietnamese otherwise.
  const wanted = (navigator.languages ?? [navigator.language]).map((l) => l.slice(0, 2).toLowerCase());
  return wanted.find((l) => LANGS.includes(l)) ?? "vi";
}

// t(key, {name: value}) fills {name} in the text; a key missing from the file shows as itself (the
// locale test keeps that from happening); the fallback is for texts made by the city (category names).
function t(key, vars = {}, fallback = key) {
  const text = texts[key] ?? fallback;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}
const known = (key) => key in texts;

const ctx = {
  api,
  el,
  t,
  known,
  get lang() { return document.documentElement.lang; },
  // Open a section, with what it should show (a tracking code for "follow").
  go(name, arg) { show(name, arg); },
};

function show(name, arg) {
  for (const [section, screen] of Object.entries(SECTIONS)) {
    const shown = section === name;
    document.getElementById(section).hidden = !shown;
    const tab = document.getElementById(`tab-${section}`);
    if (shown) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    if (shown) screen.shown?.(arg);
  }
}

// Static labels carry data-i18n (their text) or data-i18n-label (their aria-label) and are translated
// in place; what a section made from data (category names, statuses, dates) it redraws in relang().
function translate() {
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
}

async function setLang(lang) {
  const answer = await fetch(`/static/public/locales/${lang}.json`);
  texts = await answer.json();
  document.documentElement.lang = lang;
  picker.value = lang;
  localStorage.setItem("cityops.public.lang", lang);
  translate();
}

let mounted = null; // the sections, once drawn: a language picked before then is applied when they are

picker.addEventListener("change", async () => {
  await setLang(picker.value);
  await mounted;
  translate();
  for (const screen of Object.values(SECTIONS)) screen.relang?.();
});
for (const tab of document.querySelectorAll("#sections button")) tab.addEventListener("click", () => show(tab.dataset.section));
await setLang(chosenLang());
mounted = Promise.all(Object.entries(SECTIONS).map(([section, screen]) => screen.mount(document.getElementById(section), ctx)));
show("report");
await mounted;
translate();
