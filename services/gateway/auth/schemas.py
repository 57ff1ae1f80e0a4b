"""HTTP bodies of authentication: tokens, the caller, users, API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.gateway.auth.policy import API_KEY_SCOPES, DEFAULT_API_KEY_SCOPES, Permission
from shared.identity import Role

Username = Field(min_length=2, max_length=64, pattern=r"^[a-zA-Z0-9_.-]+$")
# Codes reach the services in the identity token, where "*" means all departments: no "*" in one, nor
# "," or a space (lists of codes are written joined by ",").
Department = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]


class TokenOut(BaseModel):
    """OAuth2 token response (RFC 6749 5.1)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token lives")
    refresh_token: str = Field(description="exchanged once at /api/v1/auth/refresh for the next pair")
    refresh_expires_in: int = Field(
        description="seconds within which this refresh token must be exchanged (the idle limit; less near the "
        "login's end)"
    )
    login_expires_in: int = Field(description="seconds until the login ends, however often it is refreshed")


RefreshTokenField = Annotated[str, StringConstraints(min_length=20, max_length=200)]


class RefreshIn(BaseModel):
    """OAuth2 refresh grant (RFC 6749 6), as a form or as JSON."""

    grant_type: Literal["refresh_token"]
    refresh_token: RefreshTokenField


class LogoutIn(BaseModel):
    refresh_token: RefreshTokenField


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
    scopes: list[Permission] | None = Field(
        None,
        min_length=1,
        description=(
            "what the key may do, by permission name; default: push and read its departments' data ("
            + ", ".join(sorted(DEFAULT_API_KEY_SCOPES))
            + "). Grantable: "
            + ", ".join(sorted(API_KEY_SCOPES))
        ),
        examples=[["data:read", "data:write", "cases:read"]],
    )


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    departments: list[str]
    scopes: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyIssuedOut(ApiKeyOut):
    key: str = Field(description="The key itself: shown once, store it now; only its hash is kept.")
