"""An analytics database of the previous release upgrades forward: unsent alert steps reach the outbox."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.analytics.app import MIGRATIONS_DIR
from tests.databases import upgrade


async def test_steps_the_old_republish_loop_had_not_sent_move_into_the_outbox(fresh_database: str):
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE SCHEMA analytics"))
            await conn.run_sync(upgrade, MIGRATIONS_DIR, "analytics", "0001")
            insert = text(
                "INSERT INTO analytics.alert_event (message_id, alert_id, phase, at, body, subject, published_at) "
                "VALUES (:id, gen_random_uuid(), 'started', now() + make_interval(secs => :s), CAST(:body AS jsonb), "
                "'alerts.cam.rule', CASE WHEN :sent THEN now() END)"
            )
            # Stored in this order (``at``); the first was published, the other two were not yet.
            for message_id, s, sent in (("a:started:0", 1, True), ("b:started:0", 2, False), ("a:updated:1", 3, False)):
                await conn.execute(
                    insert, {"id": message_id, "s": s, "body": f'{{"id": "{message_id}"}}', "sent": sent}
                )
            await conn.run_sync(upgrade, MIGRATIONS_DIR, "analytics", "heads")
            rows = (await conn.execute(text("SELECT subject, payload, msg_id FROM analytics.outbox ORDER BY id"))).all()
            unsent = await conn.scalar(text("SELECT count(*) FROM analytics.alert_event WHERE published_at IS NULL"))
    finally:
        await engine.dispose()
    assert [(r.subject, r.msg_id) for r in rows] == [
        ("alerts.cam.rule", "b:started:0"),
        ("alerts.cam.rule", "a:updated:1"),
    ]
    assert [bytes(r.payload) for r in rows] == [b'{"id": "b:started:0"}', b'{"id": "a:updated:1"}']
    assert unsent == 0  # a replica of the previous release does not send them again
