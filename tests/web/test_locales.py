"""Translation files of the web pages are complete: every language has every key, every key the code uses exists.

Two sets, each checked on its own: the dashboard's (web/locales/<lang>/<screen>.json, vi and en, a
screen's keys "<screen>.<key>", shared ones in common.json) and the public page's
(web/public/locales/<lang>.json, vi, en, ko and zh) when it exists. Keys used in code: t("…") and
data-i18n="…" in web/**/*.js|html, and a screen's nav label (label: "…"); vendored libraries aside.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from services.gateway.api.web import WEB_DIR

DASHBOARD_LANGUAGES = ("vi", "en")
PUBLIC_LANGUAGES = ("vi", "en", "ko", "zh")
# t("key") / t('key') (also ctx.t, i18n.t), data-i18n="key", a screen's label: "key".
USED = (
    re.compile(r"""(?<![\w$])t\(\s*["']([^"'`$]+)["']\s*\)"""),
    re.compile(r"""data-i18n=["']([^"']+)["']"""),
)
SCREEN_LABEL = re.compile(r"""\blabel:\s*["']([^"']+)["']""")


def _load(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    assert all(isinstance(v, str) and v.strip() for v in data.values()), f"{path}: empty or non-text value"
    return data


def dashboard_keys(web: Path) -> tuple[set[str], list[str]]:
    """Every key of the dashboard's files, and what is wrong with them."""
    problems: list[str] = []
    folders = {lang: web / "locales" / lang for lang in DASHBOARD_LANGUAGES}
    files = {lang: {p.name: _load(p) for p in sorted(folder.glob("*.json"))} for lang, folder in folders.items()}
    names = set().union(*(set(f) for f in files.values()))
    keys: set[str] = set()
    for name in sorted(names):
        per_lang = {lang: files[lang].get(name) for lang in DASHBOARD_LANGUAGES}
        union = set().union(*(set(d or {}) for d in per_lang.values()))
        keys |= union
        for lang, data in per_lang.items():
            if data is None:
                problems.append(f"locales/{lang}/{name} is missing")
                continue
            problems += [f"locales/{lang}/{name}: no {key!r}" for key in sorted(union - set(data))]
        screen = name.removesuffix(".json")
        if screen != "common":
            problems += [f"locales/*/{name}: {key!r} is not a {screen}.… key" for key in sorted(union)
                         if not key.startswith(f"{screen}.")]  # fmt: skip
    return keys, problems


def public_keys(web: Path) -> tuple[set[str], list[str]]:
    folder = web / "public" / "locales"
    files = {lang: _load(folder / f"{lang}.json") for lang in PUBLIC_LANGUAGES if (folder / f"{lang}.json").exists()}
    if not files:
        return set(), []
    problems = [f"public/locales/{lang}.json is missing" for lang in PUBLIC_LANGUAGES if lang not in files]
    union = set().union(*(set(d) for d in files.values()))
    for lang, data in files.items():
        problems += [f"public/locales/{lang}.json: no {key!r}" for key in sorted(union - set(data))]
    return union, problems


def used_keys(web: Path) -> dict[Path, set[str]]:
    """Keys each page file uses (vendored libraries aside)."""
    used: dict[Path, set[str]] = {}
    for path in sorted([*web.rglob("*.js"), *web.rglob("*.html")]):
        if "vendor" in path.relative_to(web).parts:
            continue
        text = path.read_text(encoding="utf-8")
        found = {m.group(1) for pattern in USED for m in pattern.finditer(text)}
        if path.parent.name == "screens":
            found |= {m.group(1) for m in SCREEN_LABEL.finditer(text)}
        if found:
            used[path] = found
    return used


def locale_problems(web: Path) -> list[str]:
    dashboard, problems = dashboard_keys(web)
    public, public_problems = public_keys(web)
    problems += public_problems
    for path, keys in used_keys(web).items():
        is_public = "public" in path.relative_to(web).parts
        known, where = (public, "public/locales") if is_public else (dashboard, "locales")
        problems += [f"{path.relative_to(web)} uses {key!r}, absent from {where}" for key in sorted(keys - known)]
    return problems


def test_every_language_has_every_key_and_every_key_used_exists() -> None:
    assert used_keys(WEB_DIR), "no translated text found: the patterns no longer match the code"
    assert locale_problems(WEB_DIR) == []


def _page(tmp_path: Path, *, en_common: dict[str, str], code: str) -> Path:
    for lang, common in (("vi", {"title": "Tiêu đề", "close": "Đóng"}), ("en", en_common)):
        (tmp_path / "locales" / lang).mkdir(parents=True)
        (tmp_path / "locales" / lang / "common.json").write_text(json.dumps(common), encoding="utf-8")
    (tmp_path / "app.js").write_text(code, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("en_common", "code", "expected"),
    [
        ({"title": "Title"}, 'el("h1", {}, t("title"));', "locales/en/common.json: no 'close'"),
        ({"title": "Title", "close": "Close"}, 'ctx.t("wall.pick")', "app.js uses 'wall.pick', absent from locales"),
    ],
)
def test_a_key_missing_in_a_language_or_used_but_absent_is_reported(
    tmp_path: Path, en_common: dict[str, str], code: str, expected: str
) -> None:
    assert expected in locale_problems(_page(tmp_path, en_common=en_common, code=code))


def test_the_public_page_set_needs_all_four_languages(tmp_path: Path) -> None:
    web = _page(tmp_path, en_common={"title": "Title", "close": "Close"}, code="")
    (web / "public" / "locales").mkdir(parents=True)
    for lang in ("vi", "en", "ko"):
        (web / "public" / "locales" / f"{lang}.json").write_text(json.dumps({"public.title": lang}), encoding="utf-8")
    (web / "public" / "index.html").write_text('<h1 data-i18n="public.report"></h1>', encoding="utf-8")
    problems = locale_problems(web)
    assert "public/locales/zh.json is missing" in problems
    assert "public/index.html uses 'public.report', absent from public/locales" in problems


# The public page also names keys through its helpers (labelled(id, "report.photo"), row("follow.ward"))
# and fills {placeholders}: any string literal shaped like one of its keys must exist, and every language
# must have the same placeholders as English.
PUBLIC_KEY = re.compile(r"""["'`](title|language|footer|(?:nav|report|follow|rate|prices|status)(?:\.[a-z_]+)+)["'`]""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_the_public_page_names_only_keys_it_has_with_the_same_placeholders_everywhere() -> None:
    folder = WEB_DIR / "public"
    texts = {lang: _load(folder / "locales" / f"{lang}.json") for lang in PUBLIC_LANGUAGES}
    code = "\n".join(p.read_text(encoding="utf-8") for p in [*sorted(folder.glob("*.js")), folder / "index.html"])
    named = set(PUBLIC_KEY.findall(code))
    assert len(named) > 50, "the pattern no longer finds the page's keys"
    assert sorted(named - set(texts["en"])) == []

    def holes(text: str) -> set[str]:
        return set(PLACEHOLDER.findall(text))

    for lang, found in texts.items():
        assert [k for k, text in found.items() if holes(text) != holes(texts["en"][k])] == [], lang
