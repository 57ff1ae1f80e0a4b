"""Camera groups and display walls (a grid, and which camera sits in which cell)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.schemas import Group, GroupIn, GroupUpdate, Wall, WallCell, WallIn, WallUpdate
from services.ingest.storage import CameraRow, GroupMemberRow, GroupRow, WallCellRow, WallRow
from shared.errors import InvalidInputError, NotFoundError


async def _require_cameras(session: AsyncSession, camera_ids: Sequence[str], field: str) -> None:
    if len(set(camera_ids)) != len(camera_ids):
        raise InvalidInputError("a camera may appear only once", field=field)
    if not camera_ids:
        return
    found = set(await session.scalars(select(CameraRow.id).where(CameraRow.id.in_(camera_ids))))
    missing = [c for c in camera_ids if c not in found]
    if missing:
        raise InvalidInputError(f"unknown camera(s): {', '.join(missing)}", field=field)


def to_group(row: GroupRow) -> Group:
    return Group(id=row.id, name=row.name, description=row.description, camera_ids=[m.camera_id for m in row.members])


async def _get_group(session: AsyncSession, group_id: str) -> GroupRow:
    row = await session.get(GroupRow, group_id)
    if row is None:
        raise NotFoundError(f"group {group_id!r} not found", group=group_id)
    return row


async def _set_members(session: AsyncSession, row: GroupRow, camera_ids: list[str]) -> None:
    await _require_cameras(session, camera_ids, "camera_ids")
    row.members = [GroupMemberRow(camera_id=c, position=i) for i, c in enumerate(camera_ids)]


async def create_group(session: AsyncSession, body: GroupIn) -> Group:
    if await session.get(GroupRow, body.id) is not None:
        raise InvalidInputError(f"a group with id {body.id!r} already exists", field="id")
    row = GroupRow(id=body.id, name=body.name, description=body.description, members=[])
    await _set_members(session, row, body.camera_ids)
    session.add(row)
    await session.flush()
    return to_group(row)


async def list_groups(session: AsyncSession) -> list[Group]:
    return [to_group(r) for r in await session.scalars(select(GroupRow).order_by(GroupRow.id))]


async def get_group(session: AsyncSession, group_id: str) -> Group:
    return to_group(await _get_group(session, group_id))


async def update_group(session: AsyncSession, group_id: str, body: GroupUpdate) -> Group:
    row = await _get_group(session, group_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        raise InvalidInputError("name cannot be null", field="name")
    if "name" in changes:
        row.name = changes["name"]
    if "description" in changes:
        row.description = changes["description"]
    if "camera_ids" in changes:
        # Flush the removals first: a kept member would otherwise be re-inserted before its delete.
        row.members = []
        await session.flush()
        await _set_members(session, row, changes["camera_ids"] or [])
    await session.flush()
    return to_group(row)


async def delete_group(session: AsyncSession, group_id: str) -> None:
    await session.delete(await _get_group(session, group_id))


def to_wall(row: WallRow) -> Wall:
    return Wall(
        id=row.id,
        name=row.name,
        rows=row.rows,
        cols=row.cols,
        cells=[WallCell(row=c.row, col=c.col, camera_id=c.camera_id) for c in row.cells],
    )


async def _get_wall(session: AsyncSession, wall_id: str) -> WallRow:
    row = await session.get(WallRow, wall_id)
    if row is None:
        raise NotFoundError(f"wall {wall_id!r} not found", wall=wall_id)
    return row


async def _set_cells(session: AsyncSession, row: WallRow, cells: list[WallCell]) -> None:
    seen: set[tuple[int, int]] = set()
    for i, cell in enumerate(cells):
        if cell.row >= row.rows or cell.col >= row.cols:
            raise InvalidInputError(
                f"cell ({cell.row}, {cell.col}) is outside the {row.rows}x{row.cols} grid", field=f"cells.{i}"
            )
        if (cell.row, cell.col) in seen:
            raise InvalidInputError(f"cell ({cell.row}, {cell.col}) is assigned twice", field=f"cells.{i}")
        seen.add((cell.row, cell.col))
    await _require_cameras(session, [c.camera_id for c in cells], "cells")
    row.cells = [WallCellRow(row=c.row, col=c.col, camera_id=c.camera_id) for c in cells]


async def create_wall(session: AsyncSession, body: WallIn) -> Wall:
    if await session.get(WallRow, body.id) is not None:
        raise InvalidInputError(f"a wall with id {body.id!r} already exists", field="id")
    row = WallRow(id=body.id, name=body.name, rows=body.rows, cols=body.cols, cells=[])
    await _set_cells(session, row, body.cells)
    session.add(row)
    await session.flush()
    return to_wall(row)


async def list_walls(session: AsyncSession) -> list[Wall]:
    return [to_wall(r) for r in await session.scalars(select(WallRow).order_by(WallRow.id))]


async def get_wall(session: AsyncSession, wall_id: str) -> Wall:
    return to_wall(await _get_wall(session, wall_id))


async def update_wall(session: AsyncSession, wall_id: str, body: WallUpdate) -> Wall:
    row = await _get_wall(session, wall_id)
    changes = body.model_dump(exclude_unset=True)
    for key in ("name", "rows", "cols"):
        if key in changes:
            if changes[key] is None:
                raise InvalidInputError(f"{key} cannot be null", field=key)
            setattr(row, key, changes[key])
    cells = body.cells if body.cells is not None else to_wall(row).cells
    # Replacing the cells also re-checks the old ones against a resized grid; removals are flushed
    # first so that a kept cell is not re-inserted before its delete.
    row.cells = []
    await session.flush()
    await _set_cells(session, row, cells)
    await session.flush()
    return to_wall(row)


async def delete_wall(session: AsyncSession, wall_id: str) -> None:
    await session.delete(await _get_wall(session, wall_id))
