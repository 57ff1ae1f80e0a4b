"""The periodic worker on a real event loop: it waits until ready, runs its rounds, survives a failing
round (logged) and stops when cancelled."""

from __future__ import annotations

import asyncio
import logging

import pytest

from shared.periodic import Periodic

log = logging.getLogger("cityops.test.periodic")


async def test_rounds_start_once_ready_survive_a_failure_and_stop(caplog: pytest.LogCaptureFixture) -> None:
    ready = asyncio.Event()
    rounds: list[int] = []
    four = asyncio.Event()

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 4:
            four.set()
        if len(rounds) == 2:
            raise RuntimeError("round two fails")

    worker = Periodic("test-periodic", work, interval_s=0.01, ready=ready.wait, log=log, failed="test.round_failed")
    with caplog.at_level(logging.WARNING, logger=log.name):
        await worker.start()
        await asyncio.sleep(0.05)
        assert rounds == [], "no round before ready"
        ready.set()
        await asyncio.wait_for(four.wait(), 2)
        await worker.stop()

    failures = [r for r in caplog.records if r.getMessage() == "test.round_failed"]
    assert len(failures) == 1
    assert failures[0].worker == "test-periodic"  # type: ignore[attr-defined]
    assert "round two fails" in failures[0].error  # type: ignore[attr-defined]
    stopped_at = len(rounds)
    await asyncio.sleep(0.05)
    assert len(rounds) == stopped_at, "a round ran after stop"


async def test_first_delay_holds_the_first_round() -> None:
    rounds: list[float] = []
    loop = asyncio.get_running_loop()
    two = asyncio.Event()

    async def work() -> None:
        rounds.append(loop.time())
        if len(rounds) == 2:
            two.set()

    async def ready() -> None:
        return None

    started = loop.time()
    worker = Periodic(
        "test-delayed", work, interval_s=0.01, ready=ready, log=log, failed="test.round_failed", first_delay_s=0.2
    )
    await worker.start()
    await asyncio.wait_for(two.wait(), 2)
    await worker.stop()
    assert rounds[0] - started >= 0.2


async def test_stop_before_start_and_twice_is_harmless() -> None:
    async def work() -> None:
        return None

    async def ready() -> None:
        return None

    worker = Periodic("test-idle", work, interval_s=0.01, ready=ready, log=log, failed="test.round_failed")
    await worker.stop()
    await worker.start()
    await worker.stop()
    await worker.stop()
    assert worker._task is not None
    assert worker._task.cancelled()
