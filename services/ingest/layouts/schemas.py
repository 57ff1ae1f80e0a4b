"""Bodies of the group and wall API (pydantic v2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.ingest.cameras.schemas import Slug


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    camera_ids: list[str] = Field(default_factory=list, max_length=1000)


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    camera_ids: list[str] | None = Field(None, max_length=1000)


class GroupOut(BaseModel):
    id: str
    name: str
    description: str | None
    camera_ids: list[str]


class WallCell(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row: int = Field(ge=0)
    col: int = Field(ge=0)
    camera_id: str


class WallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    rows: int = Field(ge=1, le=16)
    cols: int = Field(ge=1, le=16)
    cells: list[WallCell] = Field(default_factory=list)


class WallPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    rows: int | None = Field(None, ge=1, le=16)
    cols: int | None = Field(None, ge=1, le=16)
    cells: list[WallCell] | None = None


class WallOut(BaseModel):
    id: str
    name: str
    rows: int
    cols: int
    cells: list[WallCell]
