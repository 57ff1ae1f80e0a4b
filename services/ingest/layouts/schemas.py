"""Bodies of the group and wall API (pydantic v2)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.ingest.cameras.schemas import Slug

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
GridSize = Annotated[int, Field(ge=1, le=16)]


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: Name
    description: Description | None = None
    camera_ids: list[str] = Field(default_factory=list, max_length=1000)


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    camera_ids: list[str] | None = Field(None, max_length=1000)


class GroupOut(BaseModel):
    id: str
    name: str
    description: str | None
    camera_ids: list[str]


class WallCell(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    row: int = Field(ge=0)
    col: int = Field(ge=0)
    camera_id: str


class WallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: Name
    rows: GridSize
    cols: GridSize
    cells: list[WallCell] = Field(default_factory=list)


class WallPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    rows: GridSize | None = None
    cols: GridSize | None = None
    cells: list[WallCell] | None = None


class WallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    rows: int
    cols: int
    cells: list[WallCell]
