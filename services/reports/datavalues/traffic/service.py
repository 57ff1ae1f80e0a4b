"""Traffic volume by road as department data.

Model (see DATAVALUES.md): each road is an org unit — department ``ROAD-<ROAD>`` (kind ``unit``, the
road's name folded to ASCII capitals, e.g. ``ROAD-TRAN-PHU``) under ``ROADS`` — and each class counted
has three daily indicators ``TRAFFIC_<CLASS>`` (both directions), ``TRAFFIC_<CLASS>_IN`` and
``TRAFFIC_<CLASS>_OUT`` (integer, sum, domain ``traffic``). A ``TrafficCounts`` message stores its
15-minute rows (keyed by rule, period, class and direction, overwritten on redelivery), then the road's
values of that (Vietnam) day are recomputed from every stored row and imported: delivering a message
twice, or out of order, never counts twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.datavalues.catalogue.schemas import IndicatorIn
from services.reports.datavalues.catalogue.service import ensure_indicators
from services.reports.datavalues.imports.parse import RawRow
from services.reports.datavalues.imports.service import import_values
from services.reports.datavalues.imports.summary import ImportOptions
from services.reports.datavalues.periods import VIETNAM
from services.reports.datavalues.traffic import repository
from services.reports.datavalues.traffic.schemas import TrafficCountOut, TrafficFilter
from shared.db import Database
from shared.identity import Caller
from shared.messages import TrafficCounts
from shared.pagination import Page
from shared.scoping import readable_departments

log = logging.getLogger("cityops.reports.traffic")

ROADS = "ROADS"  # the parent of every road's department; an administrator may move it in the tree
TRAFFIC_CALLER = Caller(name="traffic-volume", kind="api_key", roles=frozenset({"admin"}), departments=frozenset({"*"}))
CLASS_NAMES = {
    "person": "người đi bộ",
    "bicycle": "xe đạp",
    "car": "ô tô",
    "motorbike": "xe máy",
    "bus": "xe buýt",
    "truck": "xe tải",
    "moving_object": "vật chuyển động",
}
DIRECTION_NAMES = {"in": "chiều vào", "out": "chiều ra"}

# The ``sort`` parameter of the list (its choices are the sortable columns).
sort_traffic = repository.TRAFFIC_ORDER.sort_query("period_start")


def road_department(road: str) -> str:
    """``ROAD-`` and the road's name in ASCII capitals: "Trần Phú" and "Tran Phu" are one road."""
    folded = unicodedata.normalize("NFKD", road.replace("đ", "d").replace("Đ", "D"))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", folded.encode("ascii", "ignore").decode()).strip("-").upper()
    return f"ROAD-{slug[:59] or hashlib.sha1(road.encode()).hexdigest()[:12].upper()}"


def indicator_code(object_class: str, direction: str | None = None) -> str:
    return f"TRAFFIC_{object_class.upper()}" + (f"_{direction.upper()}" if direction else "")


def _indicators(object_class: str) -> list[IndicatorIn]:
    name = CLASS_NAMES.get(object_class, object_class)
    out = []
    for direction in (None, "in", "out"):
        suffix = f", {DIRECTION_NAMES[direction]}" if direction else ""
        out.append(
            IndicatorIn.model_validate(
                {
                    "code": indicator_code(object_class, direction),
                    "name": f"Lưu lượng {name}{suffix} (lượt/ngày)",
                    "unit": "lượt",
                    "value_type": "integer",
                    "aggregation": "sum",
                    "period_type": "daily",
                    "domain": "traffic",
                    "min_value": 0,
                    "description": "Line crossings counted by camera analytics, summed per road and day.",
                }
            )
        )
    return out


def day_of(at: datetime) -> tuple[str, datetime, datetime]:
    """The Vietnam day holding ``at``: its period text and its bounds (UTC)."""
    local = at.astimezone(VIETNAM).date()
    start = datetime.combine(local, datetime.min.time(), VIETNAM).astimezone(UTC)
    return local.isoformat(), start, start + timedelta(days=1)


def day_rows(department: str, period: str, totals: dict[tuple[str, str], int]) -> list[RawRow]:
    """The day's values of a road: per class in each direction and both together."""
    both: Counter[str] = Counter()
    rows = []
    for (cls, direction), n in sorted(totals.items()):
        rows.append(RawRow(indicator_code(cls, direction), department, period, n))
        both[cls] += n
    rows += [RawRow(indicator_code(cls), department, period, n) for cls, n in sorted(both.items())]
    return rows


async def record_traffic(*, database: Database, message: TrafficCounts, now: datetime) -> int:
    """Store one period's counts and rewrite the road's values of that day; returns the values written."""
    road = message.road or message.camera
    department = road_department(road)
    classes = sorted({c.object_class for c in message.counts})
    async with database.session() as session:
        # Messages are handled concurrently: one at a time creates the catalogue entries they share.
        await repository.lock(session, "traffic|catalogue")
        await repository.ensure_department(session, ROADS, "Đường giao thông (lưu lượng)", "department")
        await repository.ensure_department(session, department, road, "unit", parent=ROADS)
        await ensure_indicators(session=session, indicators=[i for c in classes for i in _indicators(c)])
        await repository.save_counts(
            session,
            [
                {
                    "rule_id": message.rule_id,
                    "period_start": message.period_start,
                    "period_end": message.period_end,
                    "object_class": c.object_class,
                    "direction": c.direction,
                    "camera": message.camera,
                    "road": road,
                    "department": department,
                    "count": c.count,
                }
                for c in message.counts
            ],
        )
    period, start, end = day_of(message.period_start)
    async with database.session() as session:
        # One recomputation of a road's day at a time: a slower one never writes an older total over a newer.
        await repository.lock(session, f"traffic|{department}|{period}")
        rows = day_rows(department, period, await repository.day_totals(session, department, start, end))
        result = await import_values(
            database=database,
            rows=rows,
            caller=TRAFFIC_CALLER,
            options=ImportOptions(strategy="create_and_update"),
            today=now.astimezone(VIETNAM).date(),
        )
    log.info(
        "traffic.recorded",
        extra={
            "rule_id": message.rule_id,
            "department": department,
            "period_start": message.period_start.isoformat(),
            "day": period,
            "values": len(rows),
            "counts": result.summary.get("counts"),
        },
    )
    return len(rows)


async def list_counts(
    *, session: AsyncSession, caller: Caller, where: TrafficFilter, sort: str, cursor: str | None, limit: int
) -> Page[TrafficCountOut]:
    """The 15-minute rows of the roads the caller reads."""
    rows, next_cursor = await repository.page(
        session, where, readable_departments(caller), sort=sort, cursor=cursor, limit=limit
    )
    return Page[TrafficCountOut](items=[TrafficCountOut.model_validate(r) for r in rows], next_cursor=next_cursor)
