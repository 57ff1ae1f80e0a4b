"""HTTP bodies of the gateway's own routes (auth, users, API keys, audit)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.identity import Role

Username = Field(min_length=2, max_length=64, pattern=r"^[a-zA-Z0-9_.-]+$")
T = TypeVar("T")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    name: str
    kind: str
    roles: list[Role]
    departments: list[str]
    permissions: list[str]


class UserCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"username": "sodulich", "password": "a-long-passphrase", "roles": ["department"],
                 "departments": ["SO_DU_LICH"], "full_name": "Phòng Du lịch"}
            ]
        }
    )  # fmt: skip

    username: str = Username
    password: str = Field(min_length=10, max_length=200)
    roles: list[Role] = Field(min_length=1)
    departments: list[str] = []
    full_name: str | None = Field(None, max_length=200)


class UserUpdate(BaseModel):
    password: str | None = Field(None, min_length=10, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1)
    departments: list[str] | None = None
    active: bool | None = None
    full_name: str | None = Field(None, max_length=200)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    full_name: str | None
    roles: list[Role]
    departments: list[str]
    active: bool
    created_at: datetime


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Sở Tài chính — data push"])
    departments: list[str] = Field(min_length=1, examples=[["SO_TAI_CHINH"]])


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    departments: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyIssued(ApiKeyRead):
    key: str = Field(description="The key itself: shown once, store it now; only its hash is kept.")


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    method: str
    path: str
    status: int
    client: str | None
    detail: str | None
