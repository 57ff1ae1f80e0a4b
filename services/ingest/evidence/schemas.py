"""Bodies of the evidence package API (pydantic v2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

CameraId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
PackageStatus = Literal["queued", "running", "ready", "failed"]
MAX_SPAN_S = 3 * 3600


def _distinct(cameras: list[str]) -> list[str]:
    if len(set(cameras)) != len(cameras):
        raise ValueError("a camera is listed twice")
    return cameras


class EvidencePackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=300)
    reason: str = Field(min_length=3, max_length=2000)
    cameras: Annotated[list[CameraId], AfterValidator(_distinct)] = Field(min_length=1, max_length=100)
    start: AwareDatetime
    end: AwareDatetime
    case_id: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _range(self) -> EvidencePackageIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if (self.end - self.start).total_seconds() > MAX_SPAN_S:
            raise ValueError(f"a package may span at most {MAX_SPAN_S // 3600} hours")
        return self


class EvidencePackageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    reason: str
    case_id: str | None
    cameras: list[str]
    start: datetime = Field(validation_alias="start_at")
    end: datetime = Field(validation_alias="end_at")
    redacted: bool = Field(
        description="faces and number plates blurred; a package that is not needs footage:raw to download"
    )
    status: PackageStatus
    progress: float = Field(description="0 to 1")
    error: str | None
    bytes: int | None = Field(description="size of the ZIP once ready")
    sha256: str | None = Field(description="sha256 of the ZIP once ready")
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(None, description="the gateway's download path once ready")
