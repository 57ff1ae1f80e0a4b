"""Every route × every role, generated from the route table: a new route without a rule fails here."""

from __future__ import annotations

import re
import uuid
from typing import Literal

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import SecretStr

from services.gateway.api.deps import Public, Requires, RequiresOnMedia, authenticate
from services.gateway.app import create_app
from services.gateway.auth.policy import DEFAULT_API_KEY_SCOPES, granted
from services.gateway.settings import GatewaySettings
from shared.identity import Caller
from tests.gateway.conftest import ADMIN_PASSWORD
from tests.support import TEST_JWT_KEYS, TEST_SERVICE_KEYS, ServiceProcess

# Routes that need no credentials by design.
# Refresh and logout: holding the refresh token is the credential.
OPEN_ROUTES = {
    "/",
    "/public",  # the public page's HTML: its API calls are rate-limited Public routes
    "/public/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
}
STREAMING = {"/api/v1/events", "/api/v1/cameras/{camera}/mjpeg"}
# Authenticated routes that take a person's bearer token only (a media cookie is issued for a login).
BEARER_ONLY = {"/api/v1/auth/session"}
# A user's own personal access tokens: a department API key has no user.
PERSON_ONLY = {"/api/v1/me/tokens", "/api/v1/me/tokens/{uid}", "/dhis2/api/apiToken", "/dhis2/api/apiToken/{uid}"}
# Read by <img>, <video> or EventSource, which send no headers: the only routes where the media cookie counts.
MEDIA_ROUTES = {
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/cameras/{camera}/snapshot.jpg"),
    ("GET", "/api/v1/cameras/{camera}/mjpeg"),
    ("GET", "/api/v1/cameras/{camera}/clip.mp4"),
    ("GET", "/api/v1/alerts/{alert_id}/snapshot.jpg"),
    ("GET", "/api/v1/evidence-packages/{package_id}/download"),
}
ROLES = ("admin", "leader", "operator", "department", "viewer", "inspector")


Guard = Requires | Public | Literal["authenticated"]


def _guard(dependant: Dependant) -> Guard | None:
    """The route's authorization rule: a permission, public, or any authenticated caller."""
    for dep in dependant.dependencies:
        if isinstance(dep.call, Requires | Public):
            return dep.call
        if dep.call is authenticate:
            return "authenticated"
        found = _guard(dep)
        if found is not None:
            return found
    return None


def _route_table() -> list[tuple[str, str, Guard | None]]:
    table = []
    settings = GatewaySettings(jwt_keys=SecretStr(TEST_JWT_KEYS), service_keys=SecretStr(TEST_SERVICE_KEYS))
    for context in iter_route_contexts(create_app(settings).routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in sorted(route.methods):
                table.append((method, context.path, _guard(route.dependant)))
    return table


ROUTES = _route_table()


def _concrete(path: str) -> str:
    values = {"rest": "x", "camera": "cam-1", "key_id": str(uuid.uuid4()), "username": "nobody", "directive_id": "d1"}
    return re.sub(r"\{(\w+)(:path)?\}", lambda m: values.get(m[1], "x"), path)


def test_every_route_has_an_authorization_rule() -> None:
    unguarded = [(m, p) for m, p, guard in ROUTES if guard is None and p not in OPEN_ROUTES]
    assert unguarded == [], f"routes without Requires/Public: {unguarded}"
    assert len(ROUTES) > 60


def _call(gateway: ServiceProcess, method: str, path: str, headers: dict[str, str]) -> int:
    url = gateway.url + _concrete(path)
    kwargs = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    with httpx.stream(method, url, headers=headers, timeout=10, **kwargs) as response:
        return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_exactly_what_its_permissions_allow(
    gateway: ServiceProcess, role_headers: dict[str, dict[str, str]], role: str
) -> None:
    caller = Caller(name=role, roles=frozenset({role}))  # type: ignore[arg-type]
    mismatches = []
    for method, path, guard in ROUTES:
        if guard is None:
            continue
        status = _call(gateway, method, path, role_headers[role])
        allowed = not isinstance(guard, Requires) or guard.permission in granted(caller)
        if (allowed and status in (401, 403)) or (not allowed and status != 403):
            mismatches.append((method, path, status, "allowed" if allowed else "forbidden"))
    assert mismatches == []


@pytest.mark.parametrize("scopes", [None, ["cases:read", "events:read"]])
def test_api_key_gets_exactly_its_scopes(
    gateway: ServiceProcess, admin: dict[str, str], scopes: list[str] | None
) -> None:
    """A key issued without scopes may push and read data only; one with scopes, exactly those."""
    body = {"name": "matrix", "departments": ["DEPT_A"], **({"scopes": scopes} if scopes else {})}
    issued = httpx.post(gateway.url + "/api/v1/api-keys", json=body, headers=admin)
    assert issued.status_code == 201, issued.text
    held = set(scopes or DEFAULT_API_KEY_SCOPES)
    mismatches = []
    for method, path, guard in ROUTES:
        if guard is None:
            continue
        status = _call(gateway, method, path, {"X-API-Key": issued.json()["key"]})
        allowed = path not in BEARER_ONLY | PERSON_ONLY and (
            not isinstance(guard, Requires) or guard.permission in held
        )
        if (allowed and status in (401, 403)) or (not allowed and status != 403):
            mismatches.append((method, path, status, "allowed" if allowed else "forbidden"))
    assert mismatches == []


def test_anonymous_is_refused_everywhere_but_open_and_public_routes(gateway: ServiceProcess) -> None:
    wrong = []
    for method, path, guard in ROUTES:
        if guard is None or isinstance(guard, Public):
            continue
        status = _call(gateway, method, path, {})
        if status != 401:
            wrong.append((method, path, status))
    assert wrong == []


def test_the_media_cookie_alone_opens_media_reads_and_nothing_else(gateway: ServiceProcess) -> None:
    assert {(m, p) for m, p, guard in ROUTES if isinstance(guard, RequiresOnMedia)} == MEDIA_ROUTES
    r = httpx.post(gateway.url + "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
    cookie = {"Cookie": r.headers["set-cookie"].split(";")[0]}
    wrong = []
    for method, path, guard in ROUTES:
        if guard is None or isinstance(guard, Public):
            continue
        status = _call(gateway, method, path, cookie)
        if (status in (401, 403)) == ((method, path) in MEDIA_ROUTES):
            wrong.append((method, path, status))
    assert wrong == []


def test_refresh_and_logout_take_no_credentials_but_the_refresh_token(gateway: ServiceProcess) -> None:
    grant = {"grant_type": "refresh_token", "refresh_token": "n" * 43}
    assert httpx.post(gateway.url + "/api/v1/auth/refresh", data=grant).status_code == 401
    assert httpx.post(gateway.url + "/api/v1/auth/logout", data={"refresh_token": "n" * 43}).status_code == 204
