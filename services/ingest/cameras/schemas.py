"""Bodies of the camera registry API (pydantic v2), and the list filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.messages import CameraState

# Camera ids become NATS subject tokens and KV keys, hence the strict slug.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Category = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# A privacy mask: a polygon of 3 to 64 points, each [x, y] in fractions of the picture (0 to 1).
Fraction01 = Annotated[float, Field(ge=0, le=1)]
MaskPoint = Annotated[list[Fraction01], Field(min_length=2, max_length=2)]
MaskPolygon = Annotated[list[MaskPoint], Field(min_length=3, max_length=64)]
MASKS_DESCRIPTION = (
    "privacy masks: polygons [[x, y], ...] in fractions of the picture, blacked out in every frame, "
    "snapshot, tile and recording (a masked camera offers no H.264 live relay); at most 16"
)
KNOWN_CATEGORIES = (
    "public_place",
    "traffic_route",
    "agency",
    "school",
    "residential_cluster",
    "beach",
    "market",
)


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = Field(None, max_length=500)
    ward: str | None = Field(None, max_length=200)


class CameraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000, description="rtsp://, rtsps://, http(s):// or file://")
    substream_url: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="the camera's low-resolution stream, shown on wall tiles (same rules as url); "
        "without it tiles show the main stream",
    )
    category: Category = Field(description=f"e.g. {', '.join(KNOWN_CATEGORIES)}; extensible")
    location: Location | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    enabled: bool = True
    sampling_fps: float = Field(5.0, gt=0, le=30)
    output_width: int = Field(640, ge=64, le=3840)
    notes: str | None = Field(None, max_length=5000)
    privacy_masks: list[MaskPolygon] = Field(default_factory=list, max_length=16, description=MASKS_DESCRIPTION)


class CameraPatch(BaseModel):
    """Partial update: only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, min_length=1, max_length=2000)
    # null removes the substream: tiles then show the main stream.
    substream_url: str | None = Field(None, min_length=1, max_length=2000)
    category: Category | None = None
    location: Location | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    enabled: bool | None = None
    sampling_fps: float | None = Field(None, gt=0, le=30)
    output_width: int | None = Field(None, ge=64, le=3840)
    notes: str | None = Field(None, max_length=5000)
    privacy_masks: list[MaskPolygon] | None = Field(None, max_length=16, description=MASKS_DESCRIPTION)


class CameraStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: CameraState
    reason: str | None = None
    since: datetime | None = None
    last_frame_at: datetime | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    reconnects: int = 0
    decode_errors: int = 0
    owner: str | None = None


class CameraOut(BaseModel):
    id: str
    name: str
    url: str = Field(description="credentials are always masked")
    has_credentials: bool = Field(description="whether url carries credentials")
    substream_url: str | None = Field(None, description="credentials are always masked")
    category: str
    location: Location | None
    tags: list[str]
    enabled: bool
    sampling_fps: float
    output_width: int
    notes: str | None
    privacy_masks: list[list[list[float]]] = Field(default_factory=list, description=MASKS_DESCRIPTION)
    created_at: datetime
    updated_at: datetime
    status: CameraStatusOut


class CameraSummaryOut(BaseModel):
    total: int
    by_status: dict[str, int] = Field(examples=[{"online": 41, "offline": 2, "disabled": 1}])
    by_category: dict[str, dict[str, int]] = Field(examples=[{"beach": {"online": 12, "offline": 1}}])


@dataclass(frozen=True)
class CameraFilter:
    """Query of the list and the summary: each field is "any of these"; an empty one does not filter."""

    category: Sequence[str] = ()
    ward: Sequence[str] = ()
    tag: Sequence[str] = ()
    status: Sequence[str] = ()
