"""Errors become application/problem+json naming the field, through one handler table."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from shared.errors import ConflictError, InvalidInputError, NotFoundError, RateLimitedError, UnavailableError
from shared.problems import PROBLEM_JSON, add_problem_handlers


class Location(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Camera(BaseModel):
    id: str
    location: Location


def _app() -> FastAPI:
    app = FastAPI()
    add_problem_handlers(app)

    @app.post("/cameras")
    async def create(camera: Camera) -> Camera:
        return camera

    @app.get("/raise/{kind}")
    async def raise_(kind: str) -> None:
        errors = {
            "missing": NotFoundError("camera beach-01 not found"),
            "dup": ConflictError("camera beach-01 exists", allowed=["update"]),
            "bad": InvalidInputError("period does not fit a monthly indicator", field="period"),
            "slow": RateLimitedError("too many requests", retry_after_s=7),
            "down": UnavailableError("reports unavailable", dependency="reports"),
        }
        if kind == "boom":
            raise RuntimeError("secret internals")
        raise errors[kind]

    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_validation_error_names_the_nested_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/cameras", json={"id": "beach-01", "location": {"lat": 95, "lon": 105.9}})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert body["status"] == 422
    assert body["invalid_params"][0]["name"] == "location.lat"
    assert body["invalid_params"][0]["location"] == "body"
    assert "location.lat" in body["detail"]


async def test_malformed_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    r = await client.post("/cameras", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize(
    ("kind", "status", "extra_key"),
    [
        ("missing", 404, None),
        ("dup", 409, "allowed"),
        ("bad", 422, "invalid_params"),
        ("down", 503, "dependency"),
    ],
)
async def test_domain_errors_map_to_their_status(
    client: httpx.AsyncClient, kind: str, status: int, extra_key: str | None
) -> None:
    r = await client.get(f"/raise/{kind}")
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["status"] == status
    assert r.json()["instance"] == f"/raise/{kind}"
    if extra_key:
        assert extra_key in r.json()


async def test_invalid_input_error_names_its_field(client: httpx.AsyncClient) -> None:
    body = (await client.get("/raise/bad")).json()
    assert body["invalid_params"] == [{"name": "period", "reason": "period does not fit a monthly indicator"}]


async def test_rate_limit_carries_retry_after(client: httpx.AsyncClient) -> None:
    r = await client.get("/raise/slow")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"


async def test_unknown_route_and_unhandled_error_are_problems_without_internals(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM_JSON
    r = await client.get("/raise/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM_JSON
    assert "secret internals" not in r.text


async def test_deeply_nested_json_is_a_422_not_a_crash() -> None:
    import json

    from fastapi import Request

    app = _app()

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"depth": len(json.dumps(json.loads(await request.body())))}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.post("/raw", content=b"[" * 100_000 + b"]" * 100_000)
        typed = await c.post("/cameras", content=b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    for response in (r, typed):
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM_JSON
