"""Case events go through the outbox: a change committed while NATS is down is published, once and
in order, when NATS is back; the service never refuses the change because of the bus."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import nats

from shared.subjects import REPORTS_ALL
from tests.reports.cases.conftest import OPERATOR, new_case
from tests.support import NATS_ADMIN, ServiceProcess, nats_server_for


async def _case_events(url: str, case_id: int) -> list[str]:
    nc = await nats.connect(url, **NATS_ADMIN)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(REPORTS_ALL, stream="REPORTS", ordered_consumer=True)
        seen: list[str] = []
        while True:
            try:
                msg = await sub.next_msg(timeout=1)
            except nats.errors.TimeoutError:
                return seen
            body = json.loads(msg.data)
            if body.get("case_id") == str(case_id):
                seen.append(body["event"])
    finally:
        await nc.close()


async def test_changes_made_while_nats_is_down_are_published_when_it_returns(
    tmp_path: Path, fresh_database: str, service_process: Callable[..., ServiceProcess]
) -> None:
    server = nats_server_for(tmp_path / "nats")
    server.start()
    svc = service_process("reports", CITYOPS_DATABASE_URL=fresh_database, CITYOPS_NATS_URL=server.url)
    svc.wait_status("/readyz", 200, timeout=60)
    pg = await asyncpg.connect(fresh_database.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with httpx.AsyncClient(base_url=svc.url, auth=OPERATOR.auth, timeout=30) as client:
            created = await client.post("/cases", json=new_case())
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            server.stop()
            moved = await client.post(f"/cases/{case_id}/transitions", json={"to": "acknowledged"})
            assert moved.status_code == 200, moved.text
            commented = await client.post(f"/cases/{case_id}/comments", json={"comment": "đã nhận"})
            assert commented.status_code == 201, commented.text
            # Committed with the changes, waiting for the bus.
            assert await pg.fetchval("SELECT count(*) FROM reports.outbox") == 2
            server.start()
            for _ in range(150):
                if await pg.fetchval("SELECT count(*) FROM reports.outbox") == 0:
                    break
                await asyncio.sleep(0.2)
            assert await pg.fetchval("SELECT count(*) FROM reports.outbox") == 0, svc.log_tail()
        assert await _case_events(server.url, case_id) == ["created", "acknowledged", "commented"]
    finally:
        await pg.close()
        server.stop()
