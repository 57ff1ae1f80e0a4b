"""Camera registry routes: thin wrappers over ``domain.registry``."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from nats.js.errors import KeyNotFoundError

from services.ingest.api.deps import RuntimeDep, SessionDep, SettingsDep, SupervisorDep
from services.ingest.domain import registry
from services.ingest.schemas import Camera, CameraCreate, CameraSummary, CameraUpdate
from shared import subjects
from shared.messages import CameraState
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES, problem_response


def _filter(
    category: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    ward: Annotated[list[str], Query()] = [],  # noqa: B006
    tag: Annotated[list[str], Query()] = [],  # noqa: B006
    status_: Annotated[list[CameraState], Query(alias="status")] = [],  # noqa: B006
) -> registry.CameraFilter:
    return registry.CameraFilter(category=category, ward=ward, tag=tag, status=status_)


FilterDep = Annotated[registry.CameraFilter, Depends(_filter)]

router = APIRouter(prefix="/cameras", tags=["cameras"], responses=PROBLEM_RESPONSES)
log = logging.getLogger("cityops.ingest.api")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a camera")
async def create_camera(
    body: CameraCreate, session: SessionDep, settings: SettingsDep, supervisor: SupervisorDep
) -> Camera:
    row = await registry.create_camera(session, body)
    await session.commit()
    camera = registry.to_camera(row, settings.status_stale_s)
    log.info("camera.created", extra={"camera": camera.id, "url": camera.url, "category": camera.category})
    await supervisor.notify_changed()
    return camera


@router.get("", summary="List cameras (filter by category, ward, tag, status; repeat a filter for any of several)")
async def list_cameras(
    session: SessionDep,
    settings: SettingsDep,
    flt: FilterDep,
    sort: Annotated[str, Depends(registry.CAMERA_ORDER.sort_query("id"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[Camera]:
    rows, next_cursor = await registry.list_cameras(
        session, flt, sort=sort, cursor=cursor, limit=limit, stale_s=settings.status_stale_s
    )
    return Page[Camera](items=[registry.to_camera(r, settings.status_stale_s) for r in rows], next_cursor=next_cursor)


@router.get("/summary", summary="How many cameras, by status and by category (same filters as the list)")
async def summarize_cameras(session: SessionDep, settings: SettingsDep, flt: FilterDep) -> CameraSummary:
    return await registry.summarize(session, flt, settings.status_stale_s)


@router.get("/{camera_id}", summary="One camera with its live status")
async def get_camera(camera_id: str, session: SessionDep, settings: SettingsDep) -> Camera:
    return registry.to_camera(await registry.get_camera(session, camera_id), settings.status_stale_s)


@router.patch("/{camera_id}", summary="Change some fields; the stream worker follows without a restart")
async def update_camera(
    camera_id: str, body: CameraUpdate, session: SessionDep, settings: SettingsDep, supervisor: SupervisorDep
) -> Camera:
    row = await registry.update_camera(session, camera_id, body)
    await session.commit()
    camera = registry.to_camera(row, settings.status_stale_s)
    log.info("camera.updated", extra={"camera": camera_id, "fields": sorted(body.model_fields_set)})
    await supervisor.notify_changed()
    return camera


@router.delete("/{camera_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a camera")
async def delete_camera(
    camera_id: str, session: SessionDep, runtime: RuntimeDep, supervisor: SupervisorDep
) -> Response:
    await registry.delete_camera(session, camera_id)
    await session.commit()
    log.info("camera.deleted", extra={"camera": camera_id})
    await supervisor.notify_changed()
    try:
        await runtime.bus.kv(subjects.SNAPSHOTS).purge(camera_id)
    except Exception as exc:
        log.warning("camera.snapshot_purge_failed", extra={"camera": camera_id, "error": repr(exc)})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{camera_id}/snapshot.jpg",
    summary="Latest frame of the camera",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def snapshot(
    camera_id: str, request: Request, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep
) -> Response:
    camera = registry.to_camera(await registry.get_camera(session, camera_id), settings.status_stale_s)
    try:
        entry = await runtime.bus.kv(subjects.SNAPSHOTS).get(camera_id)
    except KeyNotFoundError:
        entry = None
    if entry is None or not entry.value:
        return problem_response(
            404,
            "Not found",
            f"camera {camera_id!r} has no snapshot yet",
            instance=request.url.path,
            camera=camera_id,
            camera_status=camera.status.model_dump(mode="json"),
        )
    return Response(entry.value, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
