"""DHIS2's ``apiToken`` bodies, translated to and from cityops' personal access tokens.

DHIS2 (``POST /api/apiToken``) takes ``expire`` in milliseconds since the epoch and its constraints as
typed ``attributes``; it answers the key in a WebMessage whose ``response`` is an
``ApiTokenCreationResponse``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.gateway.auth.pats.schemas import IpOrCidr, Method, PersonalTokenIn, PersonalTokenOut, Referrer
from services.gateway.dhis2.messages import web_message
from shared.errors import InvalidInputError

KLASS = "org.hisp.dhis.security.apikey.ApiToken"
TOKEN_TYPE = "PERSONAL_ACCESS_TOKEN"


class _Ips(BaseModel):
    type: Literal["IpAllowedList"]
    allowedIps: list[IpOrCidr] = Field(max_length=50)


class _Methods(BaseModel):
    type: Literal["MethodAllowedList"]
    allowedMethods: list[Method] = Field(max_length=6)


class _Referrers(BaseModel):
    type: Literal["RefererAllowedList"]
    allowedReferrers: list[Referrer] = Field(max_length=50)


Attribute = Annotated[_Ips | _Methods | _Referrers, Field(discriminator="type")]


class ApiTokenIn(BaseModel):
    """DHIS2's body; what else a client sends (``version``, ``type``) is DHIS2's and ignored."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(None, max_length=200)
    # Milliseconds since the epoch, before the year 10000 (a date Python can hold).
    expire: int | None = Field(None, gt=0, lt=253_402_300_800_000)
    attributes: list[Attribute] = Field([], max_length=3)


def token_in(body: bytes) -> PersonalTokenIn:
    """A cityops token request from DHIS2's body (``{}`` or empty: the defaults); 422 naming the field."""
    try:
        parsed = ApiTokenIn.model_validate_json(body or b"{}")
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "body"
        raise InvalidInputError(f"{field}: {error['msg']}", field=field) from None
    fields: dict[str, Any] = {"name": parsed.name}
    if parsed.expire is not None:
        fields["expires_at"] = datetime.fromtimestamp(parsed.expire / 1000, UTC)
    for attribute in parsed.attributes:
        if isinstance(attribute, _Ips):
            fields["allowed_ips"] = attribute.allowedIps
        elif isinstance(attribute, _Methods):
            fields["allowed_methods"] = attribute.allowedMethods
        else:
            fields["allowed_referrers"] = attribute.allowedReferrers
    return PersonalTokenIn.model_validate(fields)


def created(*, uid: str, key: str) -> dict[str, Any]:
    response = {"responseType": "ApiTokenCreationResponse", "key": key, "uid": uid, "klass": KLASS, "errorReports": []}
    return web_message(201, response=response)


def deleted(uid: str) -> dict[str, Any]:
    return web_message(200, response={"responseType": "ObjectReport", "uid": uid, "klass": KLASS, "errorReports": []})


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def api_token(token: PersonalTokenOut) -> dict[str, Any]:
    """A token as DHIS2's ``GET /api/apiToken/{uid}`` shows it (never the key)."""
    attributes: list[dict[str, Any]] = []
    if token.allowed_ips:
        attributes.append({"type": "IpAllowedList", "allowedIps": token.allowed_ips})
    if token.allowed_methods:
        attributes.append({"type": "MethodAllowedList", "allowedMethods": token.allowed_methods})
    if token.allowed_referrers:
        attributes.append({"type": "RefererAllowedList", "allowedReferrers": token.allowed_referrers})
    body: dict[str, Any] = {
        "id": token.uid,
        "version": 1,
        "type": TOKEN_TYPE,
        "expire": _millis(token.expires_at),
        "attributes": attributes,
        "created": token.created_at.isoformat(),
        "createdBy": {"username": token.username},
    }
    if token.name is not None:
        body["name"] = token.name
    return body
