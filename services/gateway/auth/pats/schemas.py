"""HTTP bodies of personal access tokens (cityops' own shape; DHIS2's is in services/gateway/dhis2)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"not an IP address or CIDR: {value!r}") from None


IpOrCidr = Annotated[str, StringConstraints(max_length=64), AfterValidator(_network)]
Referrer = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class PersonalTokenIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "DHIS2 sync script", "expires_at": "2026-01-31T00:00:00Z",
                          "allowed_ips": ["10.20.0.0/16"], "allowed_methods": ["GET", "POST"]}]
        }
    )  # fmt: skip

    name: str | None = Field(None, max_length=200)
    expires_at: AwareDatetime | None = Field(
        None, description="when the token stops working; default 30 days from now, at most the configured maximum"
    )
    allowed_ips: list[IpOrCidr] = Field([], max_length=50, description="client addresses or networks; empty: any")
    allowed_methods: list[Method] = Field([], max_length=6, description="HTTP methods it may use; empty: any")
    allowed_referrers: list[Referrer] = Field(
        [], max_length=50, description="Referer values it is accepted with (discourages reuse, not a security boundary)"
    )


class PersonalTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    uid: str
    name: str | None
    username: str
    expires_at: datetime
    allowed_ips: list[str]
    allowed_methods: list[str]
    allowed_referrers: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class PersonalTokenIssuedOut(PersonalTokenOut):
    key: str = Field(description="The token itself (`d2pat_…`): shown once, store it now; only its hash is kept.")
