"""Camera groups and display walls (a grid, and which camera sits in which cell): use cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.cameras import repository as cameras
from services.ingest.cameras.natural import sort_key
from services.ingest.layouts import repository
from services.ingest.layouts.models import GroupMemberRow, GroupRow, WallCellRow, WallRow
from services.ingest.layouts.schemas import GroupIn, GroupOut, GroupPatch, WallCell, WallIn, WallOut, WallPatch
from shared.errors import InvalidInputError


async def _require_cameras(session: AsyncSession, camera_ids: Sequence[str], field: str) -> None:
    if len(set(camera_ids)) != len(camera_ids):
        raise InvalidInputError("a camera may appear only once", field=field)
    if not camera_ids:
        return
    found = await cameras.existing_ids(session, camera_ids)
    missing = [c for c in camera_ids if c not in found]
    if missing:
        raise InvalidInputError(f"unknown camera(s): {', '.join(missing)}", field=field)


async def _refuse_taken_id(session: AsyncSession, model: type[GroupRow] | type[WallRow], key: str, what: str) -> None:
    if await repository.exists(session, model, key):
        raise InvalidInputError(f"a {what} with id {key!r} already exists", field="id")


def to_group(row: GroupRow) -> GroupOut:
    return GroupOut(
        id=row.id, name=row.name, description=row.description, camera_ids=[m.camera_id for m in row.members]
    )


def _apply(
    row: GroupRow | WallRow, changes: dict[str, Any], *, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> None:
    """Copy the patched plain fields onto ``row``; a required one cannot be patched to null."""
    for key in (*required, *optional):
        if key in changes:
            if changes[key] is None and key in required:
                raise InvalidInputError(f"{key} cannot be null", field=key)
            setattr(row, key, changes[key])


async def _set_members(session: AsyncSession, row: GroupRow, camera_ids: list[str]) -> None:
    await _require_cameras(session, camera_ids, "camera_ids")
    row.members = [GroupMemberRow(camera_id=c, position=i) for i, c in enumerate(camera_ids)]


async def create_group(*, session: AsyncSession, group_in: GroupIn) -> GroupOut:
    await _refuse_taken_id(session, GroupRow, group_in.id, "group")
    row = GroupRow(**group_in.model_dump(exclude={"camera_ids"}), members=[])
    await _set_members(session, row, group_in.camera_ids)
    await repository.add(session, row)
    return to_group(row)


def _by_name(rows: Sequence[GroupRow | WallRow]) -> list[Any]:
    """Natural name order ("Tường 2" before "Tường 10"): lists an operator picks from."""
    return sorted(rows, key=lambda row: (sort_key(row.name), row.id))


async def list_groups(*, session: AsyncSession) -> list[GroupOut]:
    return [to_group(r) for r in _by_name(await repository.list_groups(session))]


async def get_group(*, session: AsyncSession, group_id: str) -> GroupOut:
    return to_group(await repository.get_group(session, group_id))


async def update_group(*, session: AsyncSession, group_id: str, group_patch: GroupPatch) -> GroupOut:
    row = await repository.get_group(session, group_id)
    changes = group_patch.model_dump(exclude_unset=True)
    _apply(row, changes, required=("name",), optional=("description",))
    if "camera_ids" in changes:
        # Flush the removals first: a kept member would otherwise be re-inserted before its delete.
        row.members = []
        await repository.save(session)
        await _set_members(session, row, changes["camera_ids"] or [])
    await repository.save(session)
    return to_group(row)


async def delete_group(*, session: AsyncSession, group_id: str) -> None:
    await repository.delete(session, await repository.get_group(session, group_id))


def to_wall(row: WallRow) -> WallOut:
    return WallOut.model_validate(row)


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


async def create_wall(*, session: AsyncSession, wall_in: WallIn) -> WallOut:
    await _refuse_taken_id(session, WallRow, wall_in.id, "wall")
    row = WallRow(**wall_in.model_dump(exclude={"cells"}), cells=[])
    await _set_cells(session, row, wall_in.cells)
    await repository.add(session, row)
    return to_wall(row)


async def list_walls(*, session: AsyncSession) -> list[WallOut]:
    return [to_wall(r) for r in _by_name(await repository.list_walls(session))]


async def get_wall(*, session: AsyncSession, wall_id: str) -> WallOut:
    return to_wall(await repository.get_wall(session, wall_id))


async def update_wall(*, session: AsyncSession, wall_id: str, wall_patch: WallPatch) -> WallOut:
    row = await repository.get_wall(session, wall_id)
    changes = wall_patch.model_dump(exclude_unset=True)
    _apply(row, changes, required=("name", "rows", "cols"))
    cells = wall_patch.cells if wall_patch.cells is not None else to_wall(row).cells
    # Replacing the cells also re-checks the old ones against a resized grid; removals are flushed
    # first so that a kept cell is not re-inserted before its delete.
    row.cells = []
    await repository.save(session)
    await _set_cells(session, row, cells)
    await repository.save(session)
    return to_wall(row)


async def delete_wall(*, session: AsyncSession, wall_id: str) -> None:
    await repository.delete(session, await repository.get_wall(session, wall_id))
