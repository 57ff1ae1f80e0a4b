"""Text no service can store (NUL, unpaired surrogates) is refused at the edge, naming the field."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI, Request

from shared.problems import add_problem_handlers
from shared.text_guard import UnstorableTextGuard


def _app() -> FastAPI:
    app = FastAPI()
    add_problem_handlers(app)
    app.add_middleware(UnstorableTextGuard)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        return {"body": (await request.body()).decode(), "query": dict(request.query_params)}

    return app


async def _post(content: bytes, content_type: str = "application/json", params: str = "") -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/echo" + params, content=content, headers={"content-type": content_type})


def _refused(r: httpx.Response, name: str, location: str) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    (param,) = r.json()["invalid_params"]
    assert (param["name"], param["location"]) == (name, location)
    return str(param["reason"])


async def test_a_nul_deep_in_a_json_body_is_refused_naming_its_path() -> None:
    body = b'{"rows": [{"name": "ok"}, {"name": "a\\u0000b"}]}'
    assert "NUL" in _refused(await _post(body), "rows.1.name", "body")


async def test_an_unpaired_surrogate_is_refused_but_an_escaped_emoji_passes_intact() -> None:
    assert "surrogate" in _refused(await _post(b'{"title": "x\\ud800y"}'), "title", "body")
    emoji = b'{"title": "sea \\ud83c\\udf0a view"}'
    r = await _post(emoji)
    assert r.status_code == 200
    assert r.json()["body"] == emoji.decode()


async def test_a_nul_in_a_key_or_a_csv_body_or_the_query_is_refused() -> None:
    assert "key" in _refused(await _post(b'{"tags": {"a\\u0000": 1}}'), "tags", "body")
    _refused(await _post(b"indicator,value\nA\x00,1\n", "text/csv"), "body", "body")
    _refused(await _post(b"{}", params="?form=ok&ward=P%00"), "ward", "query")


async def test_clean_bodies_reach_the_route_unchanged_whatever_their_size() -> None:
    rows = [{"indicator": f"IND_{i}", "comment": "Sầm Sơn \\ path"} for i in range(20_000)]
    body = json.dumps({"rows": rows}).encode()
    r = await _post(body)
    assert r.status_code == 200
    assert r.json()["body"] == body.decode()
    # A route that is not JSON gets invalid JSON untouched, to answer for itself.
    assert (await _post(b'{"broken": "\\u0000')).json()["body"] == '{"broken": "\\u0000'
