"""The public page's texts (web/public/locales/{vi,en,ko,zh}.json): every language has every key, no
text is empty, a {placeholder} is the same in every language, and every key the page's code names exists.

Keys are found in the code as string literals shaped like one (``"report.send"``), wherever they are
passed (``t("…")``, ``data-i18n``, a helper's argument), so a key typed wrong in any of them fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

PUBLIC = Path(__file__).resolve().parents[2] / "services" / "gateway" / "web" / "public"
LANGS = ("vi", "en", "ko", "zh")
KEY = re.compile(r"""["'`](title|language|footer|(?:nav|report|follow|rate|prices|status|map)(?:\.[a-z_]+)+)["'`]""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _texts(lang: str) -> dict[str, str]:
    texts: dict[str, str] = json.loads((PUBLIC / "locales" / f"{lang}.json").read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_every_key_with_the_same_placeholders(lang: str) -> None:
    reference, texts = _texts("en"), _texts(lang)
    assert set(texts) == set(reference), set(texts) ^ set(reference)
    for key, text in texts.items():
        assert text.strip(), f"{lang}: {key} is empty"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(reference[key])), f"{lang}: {key}"


def test_every_key_the_page_names_exists() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in [*sorted(PUBLIC.glob("*.js")), PUBLIC / "index.html"])
    code += (PUBLIC.parent / "map" / "basemap.js").read_text(encoding="utf-8")  # the shared basemap's credit line
    used = set(KEY.findall(code))
    assert len(used) > 50  # the pattern still finds the page's keys
    missing = used - set(_texts("en"))
    assert not missing, sorted(missing)
