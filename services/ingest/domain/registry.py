"""Camera registry rules: create, list, update, delete; the status a client sees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, String, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.domain.urls import (
    has_credentials,
    keep_masked_credentials,
    mask_url,
    validate_stream_url,
)
from services.ingest.schemas import (
    Camera,
    CameraCreate,
    CameraStatusView,
    CameraSummary,
    CameraUpdate,
    Location,
)
from services.ingest.storage import CameraRow, CameraStatusRow
from shared.errors import InvalidInputError, NotFoundError
from shared.pagination import Ordering, any_of

# Fields whose change means the stream worker must start over with the new configuration.
WORKER_FIELDS = frozenset({"url", "enabled", "sampling_fps", "output_width"})


@dataclass(frozen=True)
class CameraFilter:
    """Each field is "any of these"; an empty one does not filter."""

    category: Sequence[str] = ()
    ward: Sequence[str] = ()
    tag: Sequence[str] = ()
    status: Sequence[str] = ()


CAMERA_ORDER = Ordering(
    fields={
        "id": CameraRow.id,
        "name": CameraRow.name,
        "category": CameraRow.category,
        "created_at": CameraRow.created_at,
        "updated_at": CameraRow.updated_at,
    },
    key=[CameraRow.id],
)


def now() -> datetime:
    return datetime.now(UTC)


def effective_status(stale_s: float) -> ColumnElement[str]:
    """SQL for the status a client sees: disabled, waiting for an owner, stale report, or live."""
    stale_before = func.now() - timedelta(seconds=stale_s)
    return case(
        (CameraRow.enabled.is_(False), literal("disabled")),
        (CameraStatusRow.status.is_(None), literal("connecting")),
        (CameraStatusRow.reported_at < stale_before, literal("offline")),
        else_=CameraStatusRow.status,
    )


def status_view(row: CameraRow, stale_s: float, at: datetime | None = None) -> CameraStatusView:
    at = at or now()
    st = row.status
    if not row.enabled:
        return CameraStatusView(status="disabled", reason="camera disabled", since=row.updated_at)
    if st is None:
        return CameraStatusView(status="connecting", reason="waiting for an ingest replica to take it")
    view = CameraStatusView(
        status=st.status,
        reason=st.reason,
        since=st.since,
        last_frame_at=st.last_frame_at,
        fps=st.fps,
        width=st.width,
        height=st.height,
        codec=st.codec,
        reconnects=st.reconnects,
        decode_errors=st.decode_errors,
        owner=st.owner,
    )
    if at - st.reported_at > timedelta(seconds=stale_s):
        age = int((at - st.reported_at).total_seconds())
        view = view.model_copy(
            update={
                "status": "offline",
                "reason": f"no ingest replica has reported for {age} s",
                "owner": None,
            }
        )
    return view


def to_camera(row: CameraRow, stale_s: float) -> Camera:
    location = (
        Location(lat=row.lat, lon=row.lon, address=row.address, ward=row.ward)
        if row.lat is not None and row.lon is not None
        else None
    )
    return Camera(
        id=row.id,
        name=row.name,
        url=mask_url(row.url),
        has_credentials=has_credentials(row.url),
        category=row.category,
        location=location,
        tags=list(row.tags or []),
        enabled=row.enabled,
        sampling_fps=row.sampling_fps,
        output_width=row.output_width,
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=status_view(row, stale_s),
    )


def _apply_location(row: CameraRow, location: Location | None) -> None:
    row.lat = location.lat if location else None
    row.lon = location.lon if location else None
    row.address = location.address if location else None
    row.ward = location.ward if location else None


async def create_camera(session: AsyncSession, body: CameraCreate) -> CameraRow:
    url = validate_stream_url(body.url)
    if await session.get(CameraRow, body.id) is not None:
        raise InvalidInputError(f"a camera with id {body.id!r} already exists", field="id")
    at = now()
    row = CameraRow(
        id=body.id,
        name=body.name,
        url=url,
        category=body.category,
        tags=body.tags,
        enabled=body.enabled,
        sampling_fps=body.sampling_fps,
        output_width=body.output_width,
        notes=body.notes,
        revision=1,
        created_at=at,
        updated_at=at,
    )
    _apply_location(row, body.location)
    session.add(row)
    await session.flush()
    await session.refresh(row, ["status"])
    return row


async def get_camera(session: AsyncSession, camera_id: str) -> CameraRow:
    row = await session.get(CameraRow, camera_id)
    if row is None:
        raise NotFoundError(f"camera {camera_id!r} not found", camera=camera_id)
    return row


def _conditions(flt: CameraFilter, stale_s: float) -> list[ColumnElement[bool]]:
    """The filter, over cameras outer-joined with their status."""
    conditions = any_of(
        (CameraRow.category, flt.category), (CameraRow.ward, flt.ward), (effective_status(stale_s), flt.status)
    )
    if flt.tag:
        # Cast so PostgreSQL compares varchar[] with varchar[] (and can use the GIN index).
        conditions.append(CameraRow.tags.overlap(cast(array(list(flt.tag)), ARRAY(String(100)))))
    return conditions


async def list_cameras(
    session: AsyncSession, flt: CameraFilter, *, sort: str, cursor: str | None, limit: int, stale_s: float
) -> tuple[list[CameraRow], str | None]:
    query = (
        select(CameraRow)
        .outerjoin(CameraStatusRow, CameraStatusRow.camera_id == CameraRow.id)
        .where(*_conditions(flt, stale_s))
    )
    query = CAMERA_ORDER.apply(query, sort=sort, cursor=cursor, limit=limit)
    return CAMERA_ORDER.page((await session.scalars(query)).all(), sort=sort, limit=limit)


async def summarize(session: AsyncSession, flt: CameraFilter, stale_s: float) -> CameraSummary:
    """Cameras by category and status, counted in the database (a city has thousands)."""
    status = effective_status(stale_s)
    query = (
        select(CameraRow.category, status, func.count())
        .outerjoin(CameraStatusRow, CameraStatusRow.camera_id == CameraRow.id)
        .where(*_conditions(flt, stale_s))
        .group_by(CameraRow.category, status)
    )
    by_category: dict[str, dict[str, int]] = {}
    by_status: dict[str, int] = {}
    for category, state, n in (await session.execute(query)).all():
        by_category.setdefault(category, {})[state] = n
        by_status[state] = by_status.get(state, 0) + n
    return CameraSummary(total=sum(by_status.values()), by_status=by_status, by_category=by_category)


async def update_camera(session: AsyncSession, camera_id: str, body: CameraUpdate) -> CameraRow:
    row = await get_camera(session, camera_id)
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes:
        if changes["url"] is None:
            raise InvalidInputError("url cannot be null", field="url")
        changes["url"] = validate_stream_url(keep_masked_credentials(changes["url"], row.url))
    for key in ("name", "category", "enabled", "sampling_fps", "output_width", "tags"):
        if key in changes and changes[key] is None:
            raise InvalidInputError(f"{key} cannot be null", field=key)
    restart = any(k in WORKER_FIELDS and changes[k] != getattr(row, k) for k in changes)
    if "location" in changes:
        _apply_location(row, body.location)
    for key, value in changes.items():
        if key != "location":
            setattr(row, key, value)
    row.updated_at = now()
    if restart:
        row.revision += 1
    await session.flush()
    return row


async def delete_camera(session: AsyncSession, camera_id: str) -> None:
    row = await get_camera(session, camera_id)
    await session.delete(row)
    await session.flush()


async def enabled_cameras(session: AsyncSession) -> list[CameraRow]:
    return list(await session.scalars(select(CameraRow).where(CameraRow.enabled.is_(True))))
