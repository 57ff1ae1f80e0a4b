"""Camera groups and display walls: thin wrappers over ``layouts.service``."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.ingest.layouts import service
from services.ingest.layouts.schemas import GroupIn, GroupOut, GroupPatch, WallIn, WallOut, WallPatch
from shared.deps import SessionDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.post("/groups", status_code=status.HTTP_201_CREATED, tags=["groups"], summary="Create a camera group")
async def create_group(body: GroupIn, session: SessionDep) -> GroupOut:
    return await service.create_group(session=session, group_in=body)


@router.get("/groups", tags=["groups"], summary="All camera groups")
async def list_groups(session: SessionDep) -> list[GroupOut]:
    return await service.list_groups(session=session)


@router.get("/groups/{group_id}", tags=["groups"])
async def get_group(group_id: str, session: SessionDep) -> GroupOut:
    return await service.get_group(session=session, group_id=group_id)


@router.patch("/groups/{group_id}", tags=["groups"], summary="Rename, describe or set the members (ordered)")
async def update_group(group_id: str, body: GroupPatch, session: SessionDep) -> GroupOut:
    return await service.update_group(session=session, group_id=group_id, group_patch=body)


@router.delete("/groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["groups"])
async def delete_group(group_id: str, session: SessionDep) -> Response:
    await service.delete_group(session=session, group_id=group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/walls", status_code=status.HTTP_201_CREATED, tags=["walls"], summary="Create a display wall")
async def create_wall(body: WallIn, session: SessionDep) -> WallOut:
    return await service.create_wall(session=session, wall_in=body)


@router.get("/walls", tags=["walls"], summary="All display walls")
async def list_walls(session: SessionDep) -> list[WallOut]:
    return await service.list_walls(session=session)


@router.get("/walls/{wall_id}", tags=["walls"])
async def get_wall(wall_id: str, session: SessionDep) -> WallOut:
    return await service.get_wall(session=session, wall_id=wall_id)


@router.patch("/walls/{wall_id}", tags=["walls"], summary="Resize the grid or re-seat cameras")
async def update_wall(wall_id: str, body: WallPatch, session: SessionDep) -> WallOut:
    return await service.update_wall(session=session, wall_id=wall_id, wall_patch=body)


@router.delete("/walls/{wall_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["walls"])
async def delete_wall(wall_id: str, session: SessionDep) -> Response:
    await service.delete_wall(session=session, wall_id=wall_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
