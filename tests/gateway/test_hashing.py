"""Password hashing runs in a bounded pool: a flood of logins is refused, not queued without end."""

from __future__ import annotations

import asyncio

import pytest

from services.gateway.auth.secrets import Hashing, hash_password
from shared.errors import RateLimitedError


async def test_logins_beyond_the_running_and_waiting_hashes_are_refused_with_retry_after() -> None:
    stored = hash_password("correct horse battery")
    hashing = Hashing(concurrency=1, queue=2)
    try:
        attempts = [hashing.verify(stored, f"guess-{n}") for n in range(6)]
        outcomes = await asyncio.gather(*attempts, return_exceptions=True)
        refused = [o for o in outcomes if isinstance(o, RateLimitedError)]
        assert outcomes[:3] == [False, False, False]  # one running, two waiting: all checked
        assert len(refused) == 3
        assert all(r.retry_after_s == 1 for r in refused)
        # Once the queue drains, logins are checked again (the count is not leaked by refusals).
        assert await hashing.verify(stored, "correct horse battery") is True
    finally:
        hashing.close()


async def test_a_failing_hash_frees_its_place() -> None:
    hashing = Hashing(concurrency=1, queue=0)
    try:
        with pytest.raises(AttributeError):  # argon2 on a None hash
            await hashing.verify(None, "x")  # type: ignore[arg-type]
        assert await hashing.verify(hash_password("secret-pass"), "secret-pass") is True
    finally:
        hashing.close()
