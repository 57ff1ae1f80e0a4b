"""Schemathesis hook (``SCHEMATHESIS_HOOKS``): every fuzzed call to an internal service carries an
identity token of a test administrator for ``CITYOPS_FUZZ_AUDIENCE``, signed anew before it expires."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from shared.identity import IDENTITY_HEADER
from tests.support import TEST_ADMIN, signed

_HEADERS = signed(TEST_ADMIN, os.environ.get("CITYOPS_FUZZ_AUDIENCE", ""))


@schemathesis.auth(refresh_interval=20)
class IdentityToken:
    def get(self, case: Any, ctx: Any) -> str:
        return _HEADERS[IDENTITY_HEADER]

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), IDENTITY_HEADER: data}
