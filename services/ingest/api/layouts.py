"""Camera groups and display walls.

Writes commit before responding: the session dependency closes only after the response is sent,
and a client must read its own write.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.ingest.api.deps import SessionDep
from services.ingest.domain import layouts
from services.ingest.schemas import Group, GroupIn, GroupUpdate, Wall, WallIn, WallUpdate
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.post("/groups", status_code=status.HTTP_201_CREATED, tags=["groups"], summary="Create a camera group")
async def create_group(body: GroupIn, session: SessionDep) -> Group:
    result = await layouts.create_group(session, body)
    await session.commit()
    return result


@router.get("/groups", tags=["groups"], summary="All camera groups")
async def list_groups(session: SessionDep) -> list[Group]:
    return await layouts.list_groups(session)


@router.get("/groups/{group_id}", tags=["groups"])
async def get_group(group_id: str, session: SessionDep) -> Group:
    return await layouts.get_group(session, group_id)


@router.patch("/groups/{group_id}", tags=["groups"], summary="Rename, describe or set the members (ordered)")
async def update_group(group_id: str, body: GroupUpdate, session: SessionDep) -> Group:
    result = await layouts.update_group(session, group_id, body)
    await session.commit()
    return result


@router.delete("/groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["groups"])
async def delete_group(group_id: str, session: SessionDep) -> Response:
    await layouts.delete_group(session, group_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/walls", status_code=status.HTTP_201_CREATED, tags=["walls"], summary="Create a display wall")
async def create_wall(body: WallIn, session: SessionDep) -> Wall:
    result = await layouts.create_wall(session, body)
    await session.commit()
    return result


@router.get("/walls", tags=["walls"], summary="All display walls")
async def list_walls(session: SessionDep) -> list[Wall]:
    return await layouts.list_walls(session)


@router.get("/walls/{wall_id}", tags=["walls"])
async def get_wall(wall_id: str, session: SessionDep) -> Wall:
    return await layouts.get_wall(session, wall_id)


@router.patch("/walls/{wall_id}", tags=["walls"], summary="Resize the grid or re-seat cameras")
async def update_wall(wall_id: str, body: WallUpdate, session: SessionDep) -> Wall:
    result = await layouts.update_wall(session, wall_id, body)
    await session.commit()
    return result


@router.delete("/walls/{wall_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["walls"])
async def delete_wall(wall_id: str, session: SessionDep) -> Response:
    await layouts.delete_wall(session, wall_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
