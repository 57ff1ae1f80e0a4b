// Translations: t(key) from web/locales/<lang>/common.json and one file per screen
// (web/locales/<lang>/<screen>.json, keys "<screen>.<key>"). Loaded once per language before the page is
// drawn, so t() stays synchronous; a missing key shows as itself (tests/web/test_locales.py keeps the
// files complete).
export const LANGUAGES = ["vi", "en"];
const DEFAULT = "vi";
let labels = {};
export let lang = DEFAULT;

export const t = (key) => labels[key] ?? key;

async function file(language, name) {
  const response = await fetch(`/static/locales/${language}/${name}.json`);
  // A screen without texts of its own has no file.
  return response.ok ? response.json() : {};
}

// Loads common.json and the named screens' files for `language`, then translates the static page.
export async function setLanguage(language, screens) {
  const chosen = LANGUAGES.includes(language) ? language : DEFAULT;
  const parts = await Promise.all(["common", ...screens].map((name) => file(chosen, name)));
  labels = Object.assign({}, ...parts);
  lang = chosen;
  document.documentElement.lang = chosen;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  return chosen;
}
