"""First-run content of `make run`: the Sầm Sơn reporting catalogue with sample values, and a crowd
rule on the demo camera so the operations room sees alerts from real footage. Idempotent."""

from __future__ import annotations

import asyncio
import os

import httpx

from devstack.identity import signed_headers
from services.reports.seed import seed_catalogue
from shared.keys import KeySet

DEMO_CAMERA = "demo-vtest"
DEMO_RULE = {
    "camera": DEMO_CAMERA,
    "name": "Đông người trên đường (demo)",
    "type": "crowd",
    "object": "person",
    "zone": [[0.0, 0.2], [1.0, 0.2], [1.0, 1.0], [0.0, 1.0]],
    "min_count": 4,
    "min_duration_s": 3,
    "cooldown_s": 15,
}


def seed(analytics_url: str, keys: KeySet) -> str:
    """Catalogue straight into the database, the demo rule through analytics' API (signed like the
    gateway signs, with the service keys)."""
    added = asyncio.run(seed_catalogue(os.environ["CITYOPS_DATABASE_URL"]))

    def identity() -> dict[str, str]:
        return signed_headers(keys, "analytics")

    rules = httpx.get(f"{analytics_url}/rules", params={"camera": DEMO_CAMERA}, headers=identity(), timeout=10)
    rules.raise_for_status()
    if not any(r["name"] == DEMO_RULE["name"] for r in rules.json()["items"]):
        httpx.post(f"{analytics_url}/rules", json=DEMO_RULE, headers=identity(), timeout=10).raise_for_status()
    return ", ".join(f"{n} {k}" for k, n in added.items())
