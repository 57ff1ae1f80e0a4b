"""The weekly city briefing announced to its subscribers (event ``briefing.weekly``).

The briefing itself is the gateway's (``GET /api/v1/briefings/{period}[.xlsx|.pdf]``, gathered from
every service as the reader may see it): the notice carries links to it, not the document. An
attachment would hand the figures to whoever reads the mailbox or the webhook's receiver; a link still
asks for a login with ``briefings:read``.

Every check from the week's send time on fans the notice out again: a delivery is unique per (target,
week), so a target gets it once however many rounds and replicas run, and a webhook or contact
subscribed later in the week still gets that week's."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cases.calendar import VIETNAM
from services.reports.notifications.fanout import fan_out
from services.reports.notifications.notices import Notice
from services.reports.notifications.settings import NotifySettings

EVENT = "briefing.weekly"


def due_week(now: datetime, settings: NotifySettings) -> date | None:
    """The Monday of the ISO week to announce at ``now`` (the one before the current), or None before
    this week's send time."""
    local = now.astimezone(VIETNAM)
    monday = local.date() - timedelta(days=local.weekday())
    send_day = monday + timedelta(days=settings.briefing_weekday)
    send_at = datetime.combine(send_day, time(settings.briefing_hour), VIETNAM)
    return monday - timedelta(weeks=1) if local >= send_at else None


def weekly_notice(monday: date, settings: NotifySettings, now: datetime) -> Notice:
    year, week, _ = monday.isocalendar()
    period = f"{year}-W{week:02d}"
    path = f"{settings.briefing_base_url.rstrip('/')}/api/v1/briefings/{period}"
    return Notice(
        event=EVENT,
        key=f"{EVENT}:{period}",
        subject=f"Báo cáo tóm tắt tuần {period} / city briefing of {period}",
        data={
            "period": period,
            "start": monday.isoformat(),
            "end": (monday + timedelta(days=6)).isoformat(),
            "links": {"json": path, "xlsx": f"{path}.xlsx", "pdf": f"{path}.pdf"},
        },
        at=now,
    )


async def announce_weekly(*, session: AsyncSession, settings: NotifySettings, now: datetime) -> list[uuid.UUID]:
    """The deliveries of the week's briefing not made yet (none before its send time)."""
    monday = due_week(now, settings)
    if monday is None:
        return []
    return await fan_out(session, weekly_notice(monday, settings, now), settings, now)
