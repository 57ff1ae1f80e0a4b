"""Camera registry routes: thin wrappers over ``cameras.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from services.ingest.api.deps import SettingsDep, SupervisorDep
from services.ingest.cameras import service
from services.ingest.cameras.schemas import CameraFilter, CameraIn, CameraOut, CameraPatch, CameraSummaryOut
from shared.deps import RuntimeDep, SessionDep, VerifiedCallerDep
from shared.messages import CameraState
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES


def _filter(
    category: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    ward: Annotated[list[str], Query()] = [],  # noqa: B006
    tag: Annotated[list[str], Query()] = [],  # noqa: B006
    status_: Annotated[list[CameraState], Query(alias="status")] = [],  # noqa: B006
) -> CameraFilter:
    return CameraFilter(category=category, ward=ward, tag=tag, status=status_)


FilterDep = Annotated[CameraFilter, Depends(_filter)]

router = APIRouter(prefix="/cameras", tags=["cameras"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a camera")
async def create_camera(
    body: CameraIn, session: SessionDep, settings: SettingsDep, supervisor: SupervisorDep
) -> CameraOut:
    return await service.create_camera(
        session=session,
        camera_in=body,
        stale_s=settings.status_stale_s,
        url_policy=settings.url_policy(),
        notify=supervisor.notify_changed,
    )


@router.get("", summary="List cameras (filter by category, ward, tag, status; repeat a filter for any of several)")
async def list_cameras(
    session: SessionDep,
    settings: SettingsDep,
    flt: FilterDep,
    sort: Annotated[str, Depends(service.CAMERA_SORT)],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CameraOut]:
    return await service.list_cameras(
        session=session, flt=flt, sort=sort, cursor=cursor, limit=limit, stale_s=settings.status_stale_s
    )


@router.get("/summary", summary="How many cameras, by status and by category (same filters as the list)")
async def summarize_cameras(session: SessionDep, settings: SettingsDep, flt: FilterDep) -> CameraSummaryOut:
    return await service.summarize_cameras(session=session, flt=flt, stale_s=settings.status_stale_s)


@router.get("/{camera_id}", summary="One camera with its live status")
async def get_camera(camera_id: str, session: SessionDep, settings: SettingsDep) -> CameraOut:
    return await service.get_camera(session=session, camera_id=camera_id, stale_s=settings.status_stale_s)


@router.patch("/{camera_id}", summary="Change some fields; the stream worker follows without a restart")
async def update_camera(
    camera_id: str, body: CameraPatch, session: SessionDep, settings: SettingsDep, supervisor: SupervisorDep
) -> CameraOut:
    return await service.update_camera(
        session=session,
        camera_id=camera_id,
        camera_patch=body,
        stale_s=settings.status_stale_s,
        url_policy=settings.url_policy(),
        notify=supervisor.notify_changed,
    )


@router.delete("/{camera_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a camera")
async def delete_camera(
    camera_id: str, session: SessionDep, runtime: RuntimeDep, supervisor: SupervisorDep
) -> Response:
    await service.delete_camera(session=session, camera_id=camera_id, bus=runtime.bus, notify=supervisor.notify_changed)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{camera_id}/snapshot.jpg",
    summary="Latest frame of the camera",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def snapshot(
    camera_id: str, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep, caller: VerifiedCallerDep
) -> Response:
    """Faces and number plates blurred unless the gateway's signed identity says ``raw_footage``."""
    jpeg = await service.latest_snapshot(
        session=session,
        bus=runtime.bus,
        camera_id=camera_id,
        stale_s=settings.status_stale_s,
        raw=caller.raw_footage,
    )
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
