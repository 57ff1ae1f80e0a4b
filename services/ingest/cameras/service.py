"""Camera registry use cases: create, list, update, delete; the status a client sees.

A change that matters to stream workers is announced only once it is committed (``notify``, run by
the unit of work after its commit), so that no replica reconciles against a registry without it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.js.errors import KeyNotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.cameras import repository
from services.ingest.cameras.models import CameraRow
from services.ingest.cameras.schemas import (
    CameraFilter,
    CameraIn,
    CameraOut,
    CameraPatch,
    CameraStatusOut,
    CameraSummaryOut,
    Location,
)
from services.ingest.cameras.urls import UrlPolicy, check_stream_url, has_credentials, keep_masked_credentials, mask_url
from services.ingest.privacy.redact import redactor
from shared import subjects
from shared.bus import Bus
from shared.db import AfterCommit, after_commit
from shared.errors import InvalidInputError, NotFoundError
from shared.pagination import Page

log = logging.getLogger("cityops.ingest.api")

# Fields whose change means the stream worker must start over with the new configuration (category
# too: every frame carries it, and analytics chooses the camera's detector by it).
WORKER_FIELDS = frozenset(
    {"url", "substream_url", "enabled", "sampling_fps", "output_width", "category", "privacy_masks"}
)
# The ``sort`` query parameter of the camera list (its choices are the sortable columns).
CAMERA_SORT = repository.CAMERA_ORDER.sort_query("id")


def now() -> datetime:
    return datetime.now(UTC)


def status_view(row: CameraRow, stale_s: float, at: datetime | None = None) -> CameraStatusOut:
    at = at or now()
    st = row.status
    if not row.enabled:
        return CameraStatusOut(status="disabled", reason="camera disabled", since=row.updated_at)
    if st is None:
        return CameraStatusOut(status="connecting", reason="waiting for an ingest replica to take it")
    view = CameraStatusOut.model_validate(st)
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


def to_camera(row: CameraRow, stale_s: float) -> CameraOut:
    location = (
        Location(lat=row.lat, lon=row.lon, address=row.address, ward=row.ward)
        if row.lat is not None and row.lon is not None
        else None
    )
    return CameraOut(
        id=row.id,
        name=row.name,
        url=mask_url(row.url),
        has_credentials=has_credentials(row.url),
        substream_url=mask_url(row.substream_url) if row.substream_url else None,
        category=row.category,
        location=location,
        tags=list(row.tags or []),
        enabled=row.enabled,
        sampling_fps=row.sampling_fps,
        output_width=row.output_width,
        notes=row.notes,
        privacy_masks=row.privacy_masks or [],
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=status_view(row, stale_s),
    )


def _apply_location(row: CameraRow, location: Location | None) -> None:
    row.lat = location.lat if location else None
    row.lon = location.lon if location else None
    row.address = location.address if location else None
    row.ward = location.ward if location else None


def _announce_after_commit(session: AsyncSession, notify: AfterCommit, event: str, **fields: Any) -> None:
    """Log ``event`` and tell the replicas, once the change is stored."""

    async def announce() -> None:
        log.info(event, extra=fields)
        await notify()

    after_commit(session, announce)


async def create_camera(
    *, session: AsyncSession, camera_in: CameraIn, stale_s: float, url_policy: UrlPolicy, notify: AfterCommit
) -> CameraOut:
    url = await check_stream_url(camera_in.url, policy=url_policy)
    substream_url = camera_in.substream_url
    if substream_url is not None:
        substream_url = await check_stream_url(substream_url, policy=url_policy, field="substream_url")
    if await repository.exists(session, camera_in.id):
        raise InvalidInputError(f"a camera with id {camera_in.id!r} already exists", field="id")
    at = now()
    row = CameraRow(
        **camera_in.model_dump(exclude={"url", "substream_url", "location"}),
        url=url,
        substream_url=substream_url,
        revision=1,
        created_at=at,
        updated_at=at,
    )
    _apply_location(row, camera_in.location)
    await repository.add(session, row)
    camera = to_camera(row, stale_s)
    _announce_after_commit(
        session,
        notify,
        "camera.created",
        camera=camera.id,
        url=camera.url,
        substream_url=camera.substream_url,
        category=camera.category,
    )
    return camera


async def list_cameras(
    *, session: AsyncSession, flt: CameraFilter, sort: str, cursor: str | None, limit: int, stale_s: float
) -> Page[CameraOut]:
    rows, next_cursor = await repository.list_page(session, flt, sort=sort, cursor=cursor, limit=limit, stale_s=stale_s)
    return Page[CameraOut](items=[to_camera(r, stale_s) for r in rows], next_cursor=next_cursor)


async def summarize_cameras(*, session: AsyncSession, flt: CameraFilter, stale_s: float) -> CameraSummaryOut:
    by_category: dict[str, dict[str, int]] = {}
    by_status: dict[str, int] = {}
    for category, state, n in await repository.count_by_category_and_status(session, flt, stale_s):
        by_category.setdefault(category, {})[state] = n
        by_status[state] = by_status.get(state, 0) + n
    return CameraSummaryOut(total=sum(by_status.values()), by_status=by_status, by_category=by_category)


async def get_camera(*, session: AsyncSession, camera_id: str, stale_s: float) -> CameraOut:
    return to_camera(await repository.get(session, camera_id), stale_s)


async def update_camera(
    *,
    session: AsyncSession,
    camera_id: str,
    camera_patch: CameraPatch,
    stale_s: float,
    url_policy: UrlPolicy,
    notify: AfterCommit,
) -> CameraOut:
    row = await repository.get(session, camera_id)
    changes = camera_patch.model_dump(exclude_unset=True)
    if "url" in changes:
        if changes["url"] is None:
            raise InvalidInputError("url cannot be null", field="url")
        changes["url"] = await check_stream_url(keep_masked_credentials(changes["url"], row.url), policy=url_policy)
    if changes.get("substream_url") is not None:  # null removes it
        changes["substream_url"] = await check_stream_url(
            keep_masked_credentials(changes["substream_url"], row.substream_url or "", field="substream_url"),
            policy=url_policy,
            field="substream_url",
        )
    for key in ("name", "category", "enabled", "sampling_fps", "output_width", "tags", "privacy_masks"):
        if key in changes and changes[key] is None:
            raise InvalidInputError(f"{key} cannot be null", field=key)
    restart = any(k in WORKER_FIELDS and changes[k] != getattr(row, k) for k in changes)
    if "location" in changes:
        _apply_location(row, camera_patch.location)
    for key, value in changes.items():
        if key != "location":
            setattr(row, key, value)
    row.updated_at = now()
    if restart:
        row.revision += 1
    await repository.save(session)
    _announce_after_commit(
        session, notify, "camera.updated", camera=camera_id, fields=sorted(camera_patch.model_fields_set)
    )
    return to_camera(row, stale_s)


async def delete_camera(*, session: AsyncSession, camera_id: str, bus: Bus, notify: AfterCommit) -> None:
    await repository.delete(session, await repository.get(session, camera_id))
    _announce_after_commit(session, notify, "camera.deleted", camera=camera_id)

    async def purge_snapshot() -> None:
        try:
            await bus.kv(subjects.SNAPSHOTS).purge(camera_id)
        except Exception as exc:
            log.warning("camera.snapshot_purge_failed", extra={"camera": camera_id, "error": repr(exc)})

    after_commit(session, purge_snapshot)


async def latest_snapshot(
    *, session: AsyncSession, bus: Bus, camera_id: str, stale_s: float, raw: bool = False
) -> bytes:
    """The camera's latest JPEG, redacted unless ``raw`` (on the fly: one frame per request costs less
    than keeping a redacted copy of every camera's latest frame); ``NotFoundError`` carrying its status
    when it has none yet."""
    camera = await get_camera(session=session, camera_id=camera_id, stale_s=stale_s)
    try:
        entry = await bus.kv(subjects.SNAPSHOTS).get(camera_id)
    except KeyNotFoundError:
        entry = None
    if entry is None or not entry.value:
        raise NotFoundError(
            f"camera {camera_id!r} has no snapshot yet",
            camera=camera_id,
            camera_status=camera.status.model_dump(mode="json"),
        )
    if raw:
        return entry.value
    return await asyncio.to_thread(redactor().redact_jpeg, entry.value)
