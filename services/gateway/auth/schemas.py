"""HTTP bodies of authentication: tokens, the caller, users, API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.identity import Role

Username = Field(min_length=2, max_length=64, pattern=r"^[a-zA-Z0-9_.-]+$")
# Codes reach the services in the identity token, where "*" means all departments: no "*" in one, nor
# "," or a space (lists of codes are written joined by ",").
Department = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    name: str
    kind: str
    roles: list[Role]
    departments: list[str]
    permissions: list[str]


class UserIn(BaseModel):
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
    departments: list[Department] = []
    full_name: str | None = Field(None, max_length=200)


class UserPatch(BaseModel):
    password: str | None = Field(None, min_length=10, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1)
    departments: list[Department] | None = None
    active: bool | None = None
    full_name: str | None = Field(None, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    full_name: str | None
    roles: list[Role]
    departments: list[str]
    active: bool
    created_at: datetime


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Sở Tài chính — data push"])
    departments: list[Department] = Field(min_length=1, examples=[["SO_TAI_CHINH"]])


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    departments: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyIssuedOut(ApiKeyOut):
    key: str = Field(description="The key itself: shown once, store it now; only its hash is kept.")
